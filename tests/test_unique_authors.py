"""Unique authors per day: a reach figure for raw tweet data, filtered like everything else, on the Hashtags page."""

import base64
import shutil
from datetime import date

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import unique_authors_daily
from tests.conftest import BUNDLED, ROOT
from tests.test_pages import csv_of, downloads, figure  # noqa: F401 (downloads is a fixture)

NO_GROUPS = pl.DataFrame(schema={"hashtag": pl.String, "campaign": pl.String})
AUTHORS = pl.DataFrame(
    {
        "hashtag": ["a", "a", "b", "c"],
        "party": ["PTI", "PTI", "PTI", "PPP"],
        "date": [date(2022, 4, 20), date(2022, 4, 21), date(2022, 4, 21), date(2022, 4, 21)],
        "unique_authors": [3, 5, 2, 7],
    }
)


def test_unique_authors_follow_dates_parties_and_hashtags():
    chosen = unique_authors_daily(AUTHORS, Filters(start=date(2022, 4, 21), parties=("PTI",)), NO_GROUPS)
    assert_frame_equal(chosen, AUTHORS.slice(1, 2))
    assert unique_authors_daily(AUTHORS, Filters(hashtags=("c",)), NO_GROUPS)["unique_authors"].to_list() == [7]


def test_beside_campaigns_a_picked_hashtag_brings_its_whole_campaign():
    groups = pl.DataFrame({"hashtag": ["a", "B"], "campaign": ["AB", "AB"]})  # 'b' as the groups file spells it
    by_hashtag = unique_authors_daily(AUTHORS, Filters(hashtags=("b",)), groups)
    assert by_hashtag["unique_authors"].to_list() == [2]  # per hashtag: that spelling alone
    by_campaign = unique_authors_daily(AUTHORS, Filters(hashtags=("b",)), groups, "campaign")
    assert by_campaign["unique_authors"].to_list() == [3, 5, 2]  # a, a, b: the whole campaign AB
    assert_frame_equal(unique_authors_daily(AUTHORS, Filters(campaigns=("AB",)), groups), by_campaign)


def plotted(values) -> list:
    """Plotly sends numeric arrays as base64 typed arrays ({'dtype', 'bdata'}); plain lists stay lists."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return values


@pytest.fixture
def raw_tweets_dir(tmp_path, monkeypatch):
    directory = tmp_path / "data"
    directory.mkdir()
    for name in ("spaces.csv", "rallies.csv", "parties.csv"):
        shutil.copy(BUNDLED / name, directory / name)
    (directory / "hashtags.csv").write_text(
        "created_at,party,hashtag,author_id\n"
        "2022-04-20T17:05:00Z,PTI,#ImportedHakumatNaManzoor,u1\n"
        "2022-04-20T17:10:00Z,PTI,#ImportedHakumatNaManzoor,u1\n"
        "2022-04-20T18:00:00Z,PTI,#ImportedHakumatNaManzoor,u2\n"
        "2022-04-20T20:30:00Z,PTI,#ImportedHakumatNaManzoor,u1\n"  # 01:30 on the 21st in Pakistan
        "2022-04-20T18:00:00Z,PPP,#BilawalBhutto,u9\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PULSE_DATA_DIR", str(directory))
    return directory


def test_hashtags_page_draws_unique_authors_for_raw_tweets(raw_tweets_dir, downloads):  # noqa: F811
    at = AppTest.from_file(str(ROOT / "pages" / "2_Hashtags.py"), default_timeout=60).run()
    assert not at.exception
    traces = figure(at, "unique_authors")["data"]
    # The data covers 22:00 on the 20th to 02:00 on the 21st (local hours): both days are partial, so no solid
    # line is drawn and each day is a hollow marker saying how much of it the data covers.
    solid = {t["name"]: plotted(t["y"]) for t in traces if "name" in t}
    assert {tag: [v == v for v in ys] for tag, ys in solid.items()} == {  # NaN != NaN: a gap
        "ImportedHakumatNaManzoor": [False, False],
        "BilawalBhutto": [False],
    }
    hollow = {t["legendgroup"]: t for t in traces if t.get("marker", {}).get("symbol") == "circle-open"}
    assert {tag: plotted(t["y"]) for tag, t in hollow.items()} == {
        "ImportedHakumatNaManzoor": [2, 1],
        "BilawalBhutto": [1],
    }
    assert [c[1:] for c in hollow["ImportedHakumatNaManzoor"]["customdata"]] == [["2", "24"], ["2", "24"]]
    table = csv_of(at, downloads, "unique_authors")
    assert table.columns == ["hashtag", "party", "date", "unique_authors", "hours_covered", "partial_day"]
    assert table.height == 3


def test_hashtag_counts_have_no_unique_authors_chart():
    at = AppTest.from_file(str(ROOT / "pages" / "2_Hashtags.py"), default_timeout=60).run()
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-chart-unique_authors")]
