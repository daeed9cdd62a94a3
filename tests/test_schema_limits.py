"""Values no real data has, sent on purpose: far-away times, counts past 64 bits, column types that hold no value.

Each is reported by line (or row) and column, never loaded, and never a traceback.
"""

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pulse import cli
from pulse.data.ingest import inspect
from pulse.data.load import load_data_dir, load_hashtags, with_uploads
from pulse.errors import PulseError, ValidationError
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import hashtag_daily
from pulse.metrics.summary import compute_tables
from tests.conftest import BUNDLED

COUNTS = "hashtag,party,period_start,tweets\n"
TOO_BIG = "out of range: a count above 1,000,000,000 is not accepted"


def window_reason() -> str:
    latest = datetime.now(UTC).date() + timedelta(days=365)
    return (
        f"out of range: times must lie between 2006-03-21 and {latest} "
        "(set PULSE_EARLIEST_DATE / PULSE_LATEST_DATE to change the window)"
    )


def problems(content: bytes, file: str = "hashtags.csv", dataset: str = "hashtags") -> list[str]:
    with pytest.raises(ValidationError) as caught:
        inspect(content, file, dataset)
    return [str(p) for p in caught.value.problems]


def test_far_away_dates_are_reported_by_line_column_and_value():
    text = COUNTS + "a,PTI,2022-04-20T17:00:00Z,1\na,PTI,0100-01-01,1\na,PTI,9998-01-01T00:00:00Z,1\n"
    assert problems(text.encode()) == [
        f"hashtags.csv, line 3, column 'period_start': value '0100-01-01': {window_reason()}",
        f"hashtags.csv, line 4, column 'period_start': value '9998-01-01T00:00:00Z': {window_reason()}",
    ]


def test_the_window_starts_with_the_first_tweet_and_a_setting_moves_it(monkeypatch):
    before = COUNTS + "a,PTI,2006-03-20T23:59:59Z,1\n"
    assert problems(before.encode()) == [
        f"hashtags.csv, line 2, column 'period_start': value '2006-03-20T23:59:59Z': {window_reason()}"
    ]
    assert inspect((COUNTS + "a,PTI,2006-03-21T00:00:00Z,1\n").encode(), "h.csv", "hashtags").frame.height == 1
    monkeypatch.setenv("PULSE_EARLIEST_DATE", "2000-01-01")
    assert inspect(before.encode(), "h.csv", "hashtags").frame.height == 1


def test_the_last_plausible_day_is_included_whole(monkeypatch):
    monkeypatch.setenv("PULSE_LATEST_DATE", "2030-01-01")
    assert inspect((COUNTS + "a,PTI,2030-01-01T23:59:59Z,1\n").encode(), "h.csv", "hashtags").frame.height == 1
    assert len(problems((COUNTS + "a,PTI,2030-01-02T00:00:00Z,1\n").encode())) == 1


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00+05:00"),  # leaves the calendar once made UTC
        ("9999-12-31T23:00:00-05:00", "9999-12-31T23:00:00-05:00"),
        ("0002-01-01", "0002-01-01"),
    ],
)
def test_raw_tweets_at_the_ends_of_the_calendar_are_reported_by_the_fast_path(tmp_path, cell, value):
    path = tmp_path / "hashtags.csv"
    path.write_text(f"created_at,party,hashtag\n2022-04-20T17:00:00Z,PTI,a\n{cell},PTI,a\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        load_hashtags(path, "Asia/Karachi")
    assert [str(p) for p in caught.value.problems] == [
        f"hashtags.csv, line 3, column 'created_at': value '{value}': {window_reason()}"
    ]


def test_typed_parquet_times_of_year_9999_are_reported_by_row(tmp_path):
    path = tmp_path / "hashtags.parquet"
    pl.DataFrame(
        {"created_at": [datetime(2022, 4, 20), datetime(9999, 12, 31, 23)], "party": ["PTI"] * 2, "hashtag": ["a"] * 2}
    ).write_parquet(path)
    with pytest.raises(ValidationError) as caught:
        load_hashtags(path, "Pacific/Kiritimati")  # UTC+14: the local date would be in year 10000
    assert [str(p) for p in caught.value.problems] == [
        f"hashtags.parquet, row 2, column 'created_at': value '9999-12-31 23:00:00.000000': {window_reason()}"
    ]


def test_a_far_away_date_cannot_reach_a_session_view():
    # "View in my session only" shows only validated uploads: the row dated year 100 never gets that far.
    with pytest.raises(ValidationError):
        inspect((COUNTS + "a,PTI,0100-01-01,1\n").encode(), "hashtags.csv", "hashtags")
    data = load_data_dir(BUNDLED, "Asia/Karachi")
    ok = inspect((COUNTS + "a,PTI,2006-03-21,1\n").encode(), "hashtags.csv", "hashtags")
    tables = compute_tables(with_uploads(data, {"hashtags": (ok.frame, ok.contract)}), Filters())
    assert tables.hashtag_daily.height == 1  # one day: the table spans the data, one row


@pytest.mark.parametrize("count", ["1e19", "9223372036854775808", "-9223372036854775809", "1000000001"])
def test_counts_past_the_limit_are_reported_by_line(count):
    text = COUNTS + f"a,PTI,2022-04-20T17:00:00Z,{count}\n"
    assert problems(text.encode()) == [f"hashtags.csv, line 2, column 'tweets': value '{count}': {TOO_BIG}"]


def test_two_counts_cannot_sum_past_64_bits():
    # The review's attack: each fits in 64 bits, their sum wrapped to PTI "-2048 tweets".
    text = COUNTS + "a,PTI,2022-04-20T17:00:00Z,9223372036854774784\nb,PTI,2022-04-20T17:00:00Z,9223372036854774784\n"
    assert problems(text.encode()) == [
        f"hashtags.csv, line 2, column 'tweets': value '9223372036854774784': {TOO_BIG}",
        f"hashtags.csv, line 3, column 'tweets': value '9223372036854774784': {TOO_BIG}",
    ]
    top = COUNTS + "a,PTI,2022-04-20T17:00:00Z,1000000000\nb,PTI,2022-04-20T17:00:00Z,1000000000\n"
    assert inspect(top.encode(), "h.csv", "hashtags").frame["tweets"].sum() == 2_000_000_000


def parquet(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def test_full_range_uint64_counts_are_reported_by_row():
    frame = pl.DataFrame(
        {
            "hashtag": ["a", "b"],
            "party": ["PTI", "PTI"],
            "period_start": [datetime(2022, 4, 20, 17)] * 2,
            "tweets": pl.Series([5, 2**64 - 1], dtype=pl.UInt64),
        }
    )
    assert problems(parquet(frame), "hashtags.parquet") == [
        f"hashtags.parquet, row 2, column 'tweets': value '18446744073709551615': {TOO_BIG}"
    ]


@pytest.mark.parametrize(
    ("column", "series", "kind"),
    [
        ("tweets", pl.Series([[1, 2]]), "list"),
        ("tweets", pl.Series([{"n": 1}]), "struct"),
        ("tweets", pl.Series([timedelta(hours=1)]), "duration"),
        ("period_start", pl.Series([timedelta(hours=1)]), "duration"),
        ("party", pl.Series([["PTI"]]), "list"),
    ],
)
def test_parquet_columns_of_types_that_hold_no_value_are_reported_by_column(column, series, kind):
    row = {"hashtag": ["a"], "party": ["PTI"], "period_start": [datetime(2022, 4, 20, 17)], "tweets": [1]}
    frame = pl.DataFrame(row).with_columns(series.alias(column))
    what = {"tweets": "whole numbers", "period_start": "times", "party": "text"}[column]
    assert problems(parquet(frame), "hashtags.parquet") == [
        f"hashtags.parquet, column '{column}': value '{kind}': a column of this type cannot hold {what}"
    ]


def test_an_unreadable_file_is_reported_not_raised(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("spaces.csv", "hashtags.csv", "rallies.csv"):
        (data / name).write_bytes((BUNDLED / name).read_bytes())
    read_bytes = Path.read_bytes

    def no_permission(path: Path) -> bytes:
        if path.name == "spaces.csv":  # root reads any file whatever its mode, so the refusal is simulated
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", no_permission)
    assert cli.main(["export", "--data", str(data), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == (
        "error: 1 problem(s) found; nothing was loaded or saved.\n- spaces.csv: could not be read: Permission denied\n"
    )
    assert not (tmp_path / "out").exists()


def test_many_series_spread_over_the_whole_window_are_refused_before_they_are_filled(monkeypatch):
    # Within the window, and 2,000 rows: but filled day by day, 1,000 hashtags × 7,925 days is 7.9M rows.
    monkeypatch.setenv("PULSE_LATEST_DATE", "2027-11-30")
    text = COUNTS + "".join(f"h{i},PTI,2006-03-21T12:00:00Z,1\nh{i},PTI,2027-11-30T12:00:00Z,1\n" for i in range(1000))
    counts = inspect(text.encode(), "hashtags.csv", "hashtags").frame
    with pytest.raises(PulseError) as caught:
        hashtag_daily(counts, "UTC")
    assert str(caught.value) == (
        "too much to chart: 1,000 series × 7,925 days would be 7,925,000 rows, more than the 5,000,000 the server "
        "builds at once; narrow the dates, parties or hashtags"
    )
    assert hashtag_daily(counts.filter(pl.col("hashtag") == "h7"), "UTC").height == 7925
