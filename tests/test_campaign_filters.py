"""A filter selects whole campaigns wherever tables are built from campaigns, whichever spelling picked it (issue 24),
against values computed by hand on a small data directory."""

from pathlib import Path

import polars as pl
import pytest

from pulse.data.load import load_data_dir
from pulse.metrics.drivers import author_day_tables, driver_tables
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import hashtag_tables, in_hashtags
from pulse.metrics.summary import compute_tables
from tests.conftest import BUNDLED, utc
from tests.test_drivers import raw, seconds

TZ = "Asia/Karachi"
# Campaign "Imported": ImportedA 100 + 50, importedB 30, امپورٹڈ 7 = 187 tweets; "Other" is a campaign of its own.
HASHTAGS = """hashtag,party,period_start,tweets
ImportedA,PTI,2022-04-10T10:00:00Z,100
ImportedA,PTI,2022-04-11T10:00:00Z,50
importedB,PTI,2022-04-10T11:00:00Z,30
امپورٹڈ,PTI,2022-04-11T12:00:00Z,7
Other,PTI,2022-04-10T10:00:00Z,1000
Jiyala,PPP,2022-04-10T10:00:00Z,5
"""
GROUPS = """hashtag,campaign
ImportedA,Imported
#ImportedB,Imported
امپورٹڈ,Imported
"""


@pytest.fixture
def data(tmp_path: Path):
    for name in ("spaces", "rallies"):  # the required files, without rows
        header = (BUNDLED / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
        (tmp_path / f"{name}.csv").write_text(header + "\n", encoding="utf-8")
    (tmp_path / "hashtags.csv").write_text(HASHTAGS, encoding="utf-8")
    (tmp_path / "hashtag_groups.csv").write_text(GROUPS, encoding="utf-8")
    return load_data_dir(tmp_path, TZ)


def totals(data, filters: Filters, by: str) -> list[tuple]:
    return hashtag_tables(data, filters, by).summary.select(by, "tweets").sort(by).rows()


def test_a_spelling_picked_by_campaign_selects_its_whole_campaign(data):
    # The issue: the filter was applied before spellings were merged, so a campaign showed one spelling's 30.
    assert totals(data, Filters(hashtags=("importedB",)), "campaign") == [("Imported", 187)]
    assert totals(data, Filters(hashtags=("امپورٹڈ",)), "campaign") == [("Imported", 187)]
    assert totals(data, Filters(hashtags=("importedB",)), "hashtag") == [("importedB", 30)]  # by hashtag: itself


def test_a_campaign_picked_selects_every_spelling_however_it_is_named(data):
    every = [("ImportedA", 150), ("importedB", 30), ("امپورٹڈ", 7)]
    for name in ("Imported", "imported", "#ImportedB", "IMPORTEDA"):  # by its name or one of its hashtags
        assert totals(data, Filters(campaigns=(name,)), "hashtag") == every, name
        assert totals(data, Filters(campaigns=(name,)), "campaign") == [("Imported", 187)], name
    assert totals(data, Filters(campaigns=("other",)), "campaign") == [("Other", 1000)]  # a hashtag of no group
    both = Filters(hashtags=("Jiyala",), campaigns=("Imported",))  # either picker's choice counts
    assert totals(data, both, "hashtag") == [("ImportedA", 150), ("Jiyala", 5), ("importedB", 30), ("امپورٹڈ", 7)]


def test_the_hourly_series_and_spike_days_follow_whole_campaigns(data):
    tables = hashtag_tables(data, Filters(hashtags=("ImportedA",)), "campaign")
    assert tables.hourly.filter(pl.col("tweets") > 0).select("period_start", "tweets").rows() == [
        (utc(2022, 4, 10, 10), 100),
        (utc(2022, 4, 10, 11), 30),
        (utc(2022, 4, 11, 10), 50),
        (utc(2022, 4, 11, 12), 7),
    ]
    assert tables.daily["tweets"].to_list() == [130, 57]


def test_the_exported_hashtag_daily_keeps_every_spelling_of_a_campaign(data):
    tables = compute_tables(data, Filters(campaigns=("importedb",)))
    daily = tables.hashtag_daily.group_by("hashtag").agg(pl.col("tweets").sum()).sort("hashtag")
    assert daily.rows() == [("ImportedA", 150), ("importedB", 30), ("امپورٹڈ", 7)]
    # The party tables count every hashtag: share of voice is against all tweets.
    assert tables.party_daily.group_by("party").agg(pl.col("tweets").sum()).sort("party").rows() == [
        ("PPP", 5),
        ("PTI", 1187),
    ]


RAW = [
    ("t1", "PTI", "ImportedA", "u1", seconds(0), None),
    ("t1", "PTI", "importedB", "u1", seconds(0), None),  # one tweet with two spellings: one tweet of the campaign
    ("t2", "PTI", "importedB", "u2", seconds(5), None),
    ("t3", "PTI", "Other", "u3", seconds(9), None),
]


def test_who_drives_a_campaign_counts_it_whole_whichever_spelling_is_picked(data):
    rows, groups = raw(RAW), data.hashtag_groups
    by_campaign = driver_tables(rows, groups, Filters(hashtags=("ImportedA",)), TZ, "campaign", 5).drivers
    assert by_campaign.select("campaign", "tweets", "authors").rows() == [("Imported", 2, 2)]
    by_hashtag = driver_tables(rows, groups, Filters(campaigns=("Imported",)), TZ, "hashtag", 5).drivers
    assert by_hashtag.select("hashtag", "tweets").rows() == [("importedB", 2), ("ImportedA", 1)]


def test_the_rollups_author_days_follow_a_campaign_filter(data):
    days = pl.DataFrame(
        {
            "date": [utc(2022, 4, 20).date()] * 3,
            "party": ["PTI"] * 3,
            "hashtag": ["ImportedA", "importedB", "Other"],
            "author_id": ["u1", "u2", "u3"],
            "tweets": [4, 3, 9],
        }
    )
    drivers = author_day_tables(days, data.hashtag_groups, Filters(campaigns=("Imported",))).drivers
    assert drivers.select("hashtag", "tweets").rows() == [("ImportedA", 4), ("importedB", 3)]


def test_no_filter_keeps_every_row_and_an_empty_pick_keeps_none(data):
    frame = pl.DataFrame({"hashtag": ["ImportedA", "Other"]})
    groups = data.hashtag_groups
    assert frame.filter(in_hashtags(Filters(), groups, "campaign")).height == 2
    assert frame.filter(in_hashtags(Filters(campaigns=()), groups)).height == 0
