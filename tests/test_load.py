"""Loading a data directory: both hashtag forms, optional datasets, party colours, one file per dataset."""

import shutil
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.data import contract
from pulse.data.dataset import DEFAULT_COLORS
from pulse.data.load import load_data_dir
from pulse.errors import PulseError, ValidationError
from tests.conftest import BUNDLED, counts_frame, utc

SPACES = "space_id,party,host,started_at,total_listeners\ns1,PTI,Imran Khan,2022-04-20T17:00:00Z,446000\n"
RALLIES = "rally_id,party,city,announced_at,starts_at\nlhr,PTI,Lahore,2022-04-13T07:00:00Z,2022-04-21T15:00:00Z\n"


def data_dir(tmp_path, hashtags_name: str, hashtags: str, **extra: str):
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "spaces.csv").write_text(SPACES, encoding="utf-8")
    (tmp_path / "rallies.csv").write_text(RALLIES, encoding="utf-8")
    (tmp_path / hashtags_name).write_text(hashtags, encoding="utf-8")
    for name, text in extra.items():
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
    return tmp_path


def test_raw_tweets_and_counts_give_the_same_hourly_counts(tmp_path):
    raw = (
        "created_at,party,hashtag,tweet_id,author_id\n"
        "2022-04-20T17:05:00Z,PTI,#ImportedHakumatNaManzoor,1,u1\n"
        "2022-04-20T17:55:00Z,PTI,importedhakumatnamanzoor,2,u2\n"
        "2022-04-20T20:30:00Z,PTI,#ImportedHakumatNaManzoor,3,u1\n"
    )
    counts = (
        "hashtag,party,period_start,tweets\n"
        "ImportedHakumatNaManzoor,PTI,2022-04-20T17:00:00Z,2\n"
        "#importedhakumatnamanzoor,PTI,2022-04-20T20:00:00Z,1\n"
    )
    from_raw = load_data_dir(data_dir(tmp_path / "raw", "hashtags.csv", raw), "Asia/Karachi")
    from_counts = load_data_dir(data_dir(tmp_path / "counts", "hashtags.csv", counts), "Asia/Karachi")
    # The spelling kept is the one most rows use (raw: 2 of 3); a tie (counts: 1 and 1) goes to the capitals.
    expected = counts_frame(
        [
            ("ImportedHakumatNaManzoor", "PTI", utc(2022, 4, 20, 17), 2),
            ("ImportedHakumatNaManzoor", "PTI", utc(2022, 4, 20, 20), 1),
        ]
    )
    assert_frame_equal(from_raw.hashtags.counts, expected)
    assert_frame_equal(from_counts.hashtags.counts, expected)
    assert (from_raw.hashtags.form, from_counts.hashtags.form) == ("raw tweets", "counts")
    # 22:05 and 22:55 local on the 20th; 01:30 local on the 21st: u1 is counted on both days.
    assert from_raw.hashtags.authors_daily.rows() == [
        ("ImportedHakumatNaManzoor", "PTI", date(2022, 4, 20), 2),
        ("ImportedHakumatNaManzoor", "PTI", date(2022, 4, 21), 1),
    ]
    assert from_counts.hashtags.authors_daily is None


def test_parties_table_colours_and_defaults_for_unknown_parties(tmp_path):
    counts = "hashtag,party,period_start,tweets\na,PTI,2022-04-20T17:00:00Z,2\nb,NEW,2022-04-20T17:00:00Z,1\n"
    data = load_data_dir(
        data_dir(tmp_path, "hashtags.csv", counts, parties="party,name,color\nPTI,Tehreek-e-Insaf,#D62828\n"),
        "Asia/Karachi",
    )
    assert data.colors["PTI"] == "#D62828"
    assert data.colors["NEW"] in DEFAULT_COLORS
    again = load_data_dir(tmp_path, "Asia/Karachi")
    assert again.colors["NEW"] == data.colors["NEW"]  # stable from one load to the next


def test_a_war_room_directory_loads_with_whatever_the_watcher_has_stored_so_far(tmp_path):
    """`pulse watch` stores hashtag counts first, Spaces when a host goes live and rallies never: a dataset that is
    not there yet is empty, with its contract's columns."""
    assert load_data_dir(tmp_path, "Asia/Karachi").is_empty  # a new directory
    counts = "hashtag,party,period_start,tweets\nImranKhan,PTI,2026-12-07T16:00:00Z,12\n"
    (tmp_path / "hashtags.csv").write_text(counts, encoding="utf-8")
    data = load_data_dir(tmp_path, "Asia/Karachi")
    assert data.hashtags.counts.rows() == [("ImranKhan", "PTI", utc(2026, 12, 7, 16), 12)]
    assert data.spaces.is_empty() and data.spaces.schema == contract.SPACES.schema
    assert data.rallies.is_empty() and data.rallies.schema == contract.RALLIES.schema
    assert data.party_codes == ["PTI"] and not data.is_empty


def test_two_files_for_one_dataset_are_refused(tmp_path):
    data_dir(tmp_path, "hashtags.csv", "hashtag,party,period_start,tweets\n")
    pl.DataFrame({"space_id": ["s"]}).write_parquet(tmp_path / "spaces.parquet")
    with pytest.raises(PulseError, match="both spaces.csv and spaces.parquet exist"):
        load_data_dir(tmp_path, "Asia/Karachi")


def test_a_bad_file_stops_the_whole_load(tmp_path):
    bad = "hashtag,party,period_start,tweets\na,PTI,2022-04-20T17:00:00Z,two\n"
    with pytest.raises(ValidationError, match="hashtags.csv, line 2, column 'tweets': value 'two'"):
        load_data_dir(data_dir(tmp_path, "hashtags.csv", bad), "Asia/Karachi")


def test_excel_file_is_read_like_csv(tmp_path):
    shutil.copy(BUNDLED / "spaces.csv", tmp_path / "spaces.csv")
    shutil.copy(BUNDLED / "rallies.csv", tmp_path / "rallies.csv")
    pl.DataFrame(
        {"hashtag": ["#A"], "party": ["PTI"], "period_start": ["2022-04-20 22:00:00+05:00"], "tweets": [5]}
    ).write_excel(tmp_path / "hashtags.xlsx")
    data = load_data_dir(tmp_path, "Asia/Karachi")
    assert data.hashtags.counts.rows() == [("A", "PTI", utc(2022, 4, 20, 17), 5)]


def test_bundled_data_loads_with_the_story_facts():
    data = load_data_dir(BUNDLED, "Asia/Karachi")
    record = data.spaces.filter(pl.col("total_listeners") == pl.col("total_listeners").max()).row(0, named=True)
    assert (record["party"], record["total_listeners"], record["avg_listeners"]) == ("PTI", 446_000, 165_000.0)
    assert record["started_at"] == utc(2022, 4, 20, 17)  # 22:00 in Pakistan
    campaign = data.hashtags.counts.filter(
        pl.col("hashtag").is_in(["ImportedHakumatNaManzoor", "ImportedHakoomatNaManzoor", "امپورٹڈ_حکومت_نامنظور"])
        & (pl.col("period_start") >= utc(2022, 4, 9, 19))
    )
    assert campaign["tweets"].sum() > 7_000_000
