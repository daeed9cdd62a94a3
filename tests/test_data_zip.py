"""The Data page's "Export all datasets (zip)" (issue 25): author ids leave only as the keyed hashes every page and
export shows, raw only where the deployment's show_author_ids says so."""

import io
import re
import zipfile

import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.testing.v1 import AppTest

from pulse.data import ingest
from pulse.data.author_key import pseudonyms, stored_key
from pulse.data.store import Store
from pulse.metrics.drivers import with_account_ids
from tests.conftest import ROOT

PAGE = str(ROOT / "pages" / "5_Data.py")


@pytest.fixture
def deferred(monkeypatch) -> dict[str, object]:
    """The callable behind each deferred download button of the test, by its file name."""
    made: dict[str, object] = {}
    original = MediaFileManager.add_deferred

    def keep(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        made[file_name] = data_callable
        return original(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", keep)
    return made


def zipped_raw_tweets(deferred) -> pl.DataFrame:
    """The page's zip, as a viewer without any key downloads it: its raw_tweets.csv."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()  # no editor key, no sign-in
    assert not at.exception
    with zipfile.ZipFile(io.BytesIO(deferred["campaign-pulse-data.zip"]())) as archive:
        text = archive.read("raw_tweets.csv").decode("utf-8-sig")
    return pl.read_csv(io.StringIO(text), infer_schema=False)


def test_the_zip_carries_author_pseudonyms_never_raw_ids(store_dir, deferred):
    raw = pl.read_csv(store_dir / "raw_tweets.csv", infer_schema=False)["author_id"]
    zipped = zipped_raw_tweets(deferred)["author_id"]
    assert zipped.len() == raw.len() == 6137
    assert not set(zipped) & set(raw)  # before: 6,137 of 6,137 raw ids
    assert all(re.fullmatch(r"a-[0-9a-f]{12}", a) for a in zipped)
    # The very pseudonyms the copy-paste bursts and every export show for these authors, row by row.
    assert zipped.to_list() == pseudonyms(raw.to_list(), stored_key(store_dir))
    bursts = pl.DataFrame({"account_ids": [raw.head(2).cast(pl.Int64).to_list()]})
    assert with_account_ids(bursts, stored_key(store_dir))["account_ids"][0] == "|".join(zipped.head(2))


def test_raw_ids_only_where_the_deployment_shows_them(store_dir, deferred, monkeypatch):
    monkeypatch.setenv("PULSE_SHOW_AUTHOR_IDS", "true")
    raw = pl.read_csv(store_dir / "raw_tweets.csv", infer_schema=False)["author_id"]
    assert zipped_raw_tweets(deferred)["author_id"].to_list() == raw.to_list()


def test_blank_author_ids_stay_empty_and_equal_ids_share_a_pseudonym(tmp_path):
    store = Store(tmp_path)
    raw = "created_at,party,hashtag,author_id\n" + "".join(
        f"2022-04-20T17:0{i}:00Z,PTI,#A,{author}\n" for i, author in enumerate(["1001", " 1001 ", "", "u2"])
    )
    ingest.replace(store, ingest.inspect(raw.encode(), "raw.csv", "raw_tweets"))
    ids = ingest.stored_tables(store, b"k")["raw_tweets"]["author_id"].to_list()
    assert ids == [*pseudonyms(["1001", "1001"], b"k"), None, *pseudonyms(["u2"], b"k")]
