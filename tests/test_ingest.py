"""Inspecting and saving uploads: the store changes only on a valid file, merges count exactly."""

import io
import zipfile
from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.connectors.x_frames import SPACES_SCHEMA
from pulse.data import ingest
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.errors import PulseError, ValidationError

COUNTS = "hashtag,party,period_start,tweets\na,PTI,2022-04-20T17:00:00Z,5\nb,PPP,2022-04-20T17:00:00Z,3\n"


def test_inspect_detects_the_form_and_types_the_rows():
    inspected = ingest.inspect(COUNTS.encode(), "counts.csv", "hashtags")
    assert inspected.form == "hourly counts"
    assert inspected.frame.height == 2
    raw = "created_at,party,hashtag\n2022-04-20T17:05:00Z,PTI,#A\n"
    assert ingest.inspect(raw.encode(), "raw.csv", "hashtags").form == "raw tweets"


def test_spreadsheet_date_format_is_reported_by_row():
    exported = "hashtag,party,period_start,tweets\na,PTI,20/04/2022 17:00,5\nb,PPP,2022-04-20T17:00:00Z,3\n"
    with pytest.raises(ValidationError) as caught:
        ingest.inspect(exported.encode(), "sheet.csv", "hashtags")
    table = ingest.problems_table(caught.value)
    assert table.row(0) == (
        "sheet.csv",
        2,
        "period_start",
        "20/04/2022 17:00",
        "not an ISO 8601 timestamp (e.g. 2022-04-20T17:00:00Z); it looks like a spreadsheet date: "
        "format the column as YYYY-MM-DD hh:mm and export again",
    )


def test_file_names_from_urls():
    assert ingest.file_name_from_url("https://example.org/sheets/export?format=csv") == "export.csv"
    assert ingest.file_name_from_url("http://intranet/data/spaces.parquet") == "spaces.parquet"
    assert ingest.file_name_from_url("https://example.org/") == "download.csv"


def test_replace_then_merge_counts_added_updated_unchanged(tmp_path):
    store = Store(tmp_path)
    ingest.replace(store, ingest.inspect(COUNTS.encode(), "counts.csv", "hashtags"))
    update = (
        "hashtag,party,period_start,tweets\n"
        "a,PTI,2022-04-20T17:00:00Z,5\n"  # unchanged
        "b,PPP,2022-04-20T17:00:00Z,4\n"  # updated
        "c,PTI,2022-04-20T18:00:00Z,9\n"  # added
    )
    summary = ingest.merge(store, ingest.inspect(update.encode(), "update.csv", "hashtags"), "Asia/Karachi")
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 1)
    stored, _ = load_dataset(tmp_path, "hashtags")
    assert sorted(stored.select("hashtag", "tweets").rows()) == [("a", 5), ("b", 4), ("c", 9)]
    assert len(store.history("hashtags")) == 1


def test_raw_tweets_merge_into_stored_counts_as_counts(tmp_path):
    store = Store(tmp_path)
    ingest.replace(store, ingest.inspect(COUNTS.encode(), "counts.csv", "hashtags"))
    raw = "created_at,party,hashtag\n2022-04-20T17:05:00Z,PTI,#A\n2022-04-20T17:06:00Z,PTI,a\n"
    summary = ingest.merge(store, ingest.inspect(raw.encode(), "raw.csv", "hashtags"), "Asia/Karachi")
    assert (summary.added, summary.updated, summary.unchanged) == (0, 1, 0)  # a/PTI at 17:00 becomes 2
    stored, _ = load_dataset(tmp_path, "hashtags")
    assert stored.filter(pl.col("hashtag") == "a")["tweets"].to_list() == [2]


def test_a_merge_keeps_every_stored_spelling_and_the_new_ones(tmp_path):
    store = Store(tmp_path)
    stored = (
        "hashtag,party,period_start,tweets\n"
        "ImportedHakumatNaManzoor,PTI,2022-04-20T17:00:00Z,5\n"
        "PPPZindabad,PPP,2022-04-20T17:00:00Z,3\n"
    )
    ingest.replace(store, ingest.inspect(stored.encode(), "counts.csv", "hashtags"))
    update = (
        "hashtag,party,period_start,tweets\n"
        "#importedhakumatnamanzoor,PTI,2022-04-20T17:00:00Z,6\n"  # the stored hashtag, typed another way
        "ImranKhanLIVE,PTI,2022-04-20T18:00:00Z,9\n"  # a new one, as the analyst spelled it
    )
    summary = ingest.merge(store, ingest.inspect(update.encode(), "update.csv", "hashtags"), "Asia/Karachi")
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 0)
    assert store.path("hashtags").read_text(encoding="utf-8").splitlines()[1:] == [
        "ImportedHakumatNaManzoor,PTI,2022-04-20T17:00:00.000000Z,6",
        "PPPZindabad,PPP,2022-04-20T17:00:00.000000Z,3",
        "ImranKhanLIVE,PTI,2022-04-20T18:00:00.000000Z,9",
    ]
    groups = "hashtag,campaign\nImportedHakumatNaManzoor,Imported\n"
    ingest.replace(store, ingest.inspect(groups.encode(), "groups.csv", "hashtag_groups"))
    renamed = "hashtag,campaign\nIMPORTEDHAKUMATNAMANZOOR,Imported Hakumat\n"
    summary = ingest.merge(store, ingest.inspect(renamed.encode(), "groups.csv", "hashtag_groups"), "Asia/Karachi")
    assert (summary.added, summary.updated) == (0, 1)
    assert store.path("hashtag_groups").read_text(encoding="utf-8") == (
        "hashtag,campaign\nImportedHakumatNaManzoor,Imported Hakumat\n"
    )


def test_merging_counts_into_raw_tweets_is_refused_and_changes_nothing(tmp_path):
    store = Store(tmp_path)
    raw = "created_at,party,hashtag,tweet_id\n2022-04-20T17:05:00Z,PTI,#A,1\n"
    ingest.replace(store, ingest.inspect(raw.encode(), "raw.csv", "hashtags"))
    before = store.path("hashtags").read_bytes()
    with pytest.raises(PulseError, match="stored hashtags are raw tweets and the new rows are hourly counts"):
        ingest.merge(store, ingest.inspect(COUNTS.encode(), "counts.csv", "hashtags"), "Asia/Karachi")
    assert store.path("hashtags").read_bytes() == before


def test_export_zip_holds_every_stored_dataset_as_analyst_csv(tmp_path):
    store = Store(tmp_path)
    ingest.replace(store, ingest.inspect(COUNTS.encode(), "counts.csv", "hashtags"))
    archive = zipfile.ZipFile(io.BytesIO(ingest.zip_bytes(ingest.stored_tables(store, None))))
    assert archive.namelist() == ["hashtags.csv"]
    assert archive.read("hashtags.csv").decode("utf-8-sig").splitlines()[0] == "hashtag,party,period_start,tweets"


def test_stored_overview_lists_every_dataset(tmp_path):
    store = Store(tmp_path)
    ingest.replace(store, ingest.inspect(COUNTS.encode(), "counts.csv", "hashtags"))
    overview = ingest.stored_overview(store)
    assert overview["dataset"].to_list() == list(ingest.EDITABLE)
    assert overview.filter(pl.col("dataset") == "hashtags")["file"].to_list() == ["hashtags.csv"]
    assert overview.filter(pl.col("dataset") == "spaces")["file"].to_list() == [None]


def test_fill_known_keeps_stored_values_where_the_new_rows_have_none():
    schema = {"id": pl.String, "total": pl.Int64, "title": pl.String, "source": pl.String}
    new = pl.DataFrame(
        [
            ("a", None, None, "x.com/a"),  # stored: every empty cell comes from it, its source wins
            ("b", 5, "new b", "x.com/b"),  # stored: the new values win, the stored source is empty
            ("c", None, "", "x.com/c"),  # not stored: as given (empty text is empty)
        ],
        schema=schema,
        orient="row",
    )
    stored = pl.DataFrame(
        [("d", 7, "d", "news d"), ("a", 100, "old a", "news a"), ("b", 50, "old b", "")],
        schema=schema,
        orient="row",
    )
    expected = pl.DataFrame(
        [("a", 100, "old a", "news a"), ("b", 5, "new b", "x.com/b"), ("c", None, None, "x.com/c")],
        schema=schema,
        orient="row",
    )
    filled = ingest.fill_known(new, stored, ["id"], ["total", "title"], stored_first=["source"])
    assert_frame_equal(filled, expected)


def test_fill_known_with_nothing_stored_changes_nothing():
    new = pl.DataFrame({"id": ["a"], "total": [None]}, schema={"id": pl.String, "total": pl.Int64})
    stored = new.clear()
    assert_frame_equal(ingest.fill_known(new, stored, ["id"], ["total"]), new)


def test_a_fetched_space_keeps_the_stored_total_peak_average_and_source(tmp_path):
    store = Store(tmp_path)
    stored = (
        "space_id,party,host,title,started_at,ended_at,total_listeners,peak_listeners,avg_listeners,source_url\n"
        "1DXxyRYNejbKM,PTI,PTI Official,Eve of the rally,2022-04-20T17:00:00Z,,446000,190000,165000,"
        "https://news.example/record\n"
    )
    ingest.replace(store, ingest.inspect(stored.encode(), "spaces.csv", "spaces"))
    fetched = pl.DataFrame(
        [
            (
                "1DXxyRYNejbKM",
                "PTI",
                "ImranKhanPTI",
                None,
                datetime(2022, 4, 20, 17, tzinfo=UTC),
                datetime(2022, 4, 20, 20, 30, tzinfo=UTC),
                None,
                None,
                None,
                "https://x.com/i/spaces/1DXxyRYNejbKM",
            ),
            ("1YqJDqWYNQDGW", "PPP", "BBhuttoZardari", "AMA", datetime(2022, 4, 21, tzinfo=UTC), None)
            + (None, None, None, "https://x.com/i/spaces/1YqJDqWYNQDGW"),
        ],
        schema=SPACES_SCHEMA,
        orient="row",
    )
    summary = ingest.merge_fetched_spaces(store, fetched, "Asia/Karachi")
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 0)
    spaces, _ = load_dataset(tmp_path, "spaces")
    record = spaces.row(0, named=True)
    assert record["ended_at"] == datetime(2022, 4, 20, 20, 30, tzinfo=UTC)  # what the API knows, it updates
    assert record["host"] == "ImranKhanPTI"
    assert (record["total_listeners"], record["peak_listeners"], record["avg_listeners"]) == (446000, 190000, 165000)
    assert (record["title"], record["source_url"]) == ("Eve of the rally", "https://news.example/record")
    assert spaces.row(1, named=True)["source_url"] == "https://x.com/i/spaces/1YqJDqWYNQDGW"
    # The same fetch again changes nothing.
    again = ingest.merge_fetched_spaces(store, fetched, "Asia/Karachi")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
