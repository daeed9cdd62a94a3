"""Who drives it from the rollup's hashtag_author_days: the raw-row tables, exactly, per hashtag (hand-computed)."""

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.data import load as load_module
from pulse.data.load import load_author_days, load_dataset, load_raw_tweets
from pulse.data.store import Store
from pulse.errors import ValidationError
from pulse.metrics.drivers import (
    DRIVERS,
    author_day_tables,
    author_totals,
    driver_tables,
    raw_author_days,
    view_driver_tables,
    with_bursts,
)
from pulse.metrics.filters import Filters
from pulse.rollup import rollup
from tests.conftest import utc

TZ = "Asia/Karachi"  # UTC+5: 19:00 UTC starts the next local day
T0 = utc(2022, 4, 20, 17)  # 22:00 on the 20th, local
NO_GROUPS = pl.DataFrame(schema={"hashtag": pl.String, "campaign": pl.String})


def at(seconds: int):
    return T0 + timedelta(seconds=seconds)


ROWS = [  # tweet_id, party, hashtag, author_id, created_at, text
    ("t1", "PTI", "#A", "a1", at(0), None),
    ("t1", "PTI", "#B", "a1", at(0), None),  # one tweet, two hashtags
    ("t2", "PTI", "#A", "a1", at(3 * 3600), None),  # 01:00 on the 21st, local
    ("t3", "PTI", "#A", "a2", at(10), None),
    ("t3", "PTI", "#A", "a2", at(10), None),  # the same tweet twice: one tweet
    ("t4", "PTI", "#A", None, at(20), None),  # no author: a tweet, not an author
    (None, "PTI", "#B", "a2", at(30), None),  # no tweet id: the row is a tweet
    ("t5", "PPP", "#A", "a3", at(40), None),
]


def frame(rows) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "tweet_id": pl.String,
            "party": pl.String,
            "hashtag": pl.String,
            "author_id": pl.String,
            "created_at": pl.Datetime("us", "UTC"),
            "text": pl.String,
        },
        orient="row",
    )


def rolled(tmp_path, rows) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rollup's hashtag_author_days of `rows`, and the same rows as the page reads them raw."""
    (tmp_path / "raw").mkdir()
    frame(rows).write_parquet(tmp_path / "raw" / "part-0.parquet")
    rollup(str(tmp_path / "raw"), tmp_path / "data", TZ)
    frame(rows).write_parquet(tmp_path / "data" / "raw_tweets.parquet")
    days = load_author_days(Store(tmp_path / "data"))
    return days, load_raw_tweets(Store(tmp_path / "data")).rows


def test_hand_computed_drivers_and_concentration_from_the_author_days(tmp_path):
    days, _ = rolled(tmp_path, ROWS)
    tables = author_day_tables(days, NO_GROUPS, Filters())
    expected = pl.DataFrame(
        {
            "hashtag": ["A", "B", "A"],
            "party": ["PTI", "PTI", "PPP"],
            # A/PTI: a1 t1 and t2 (two local days), a2 t3 (written twice), t4 without an author.
            "tweets": [4, 2, 1],
            "authors": [2, 2, 1],
            "tweets_per_author": [2.0, 1.0, 1.0],
            "top1pct_share_pct": [50.0, 50.0, 100.0],  # ceil(1 % of 2) = 1 author: a1's 2 of 4
            "top10_share_pct": [75.0, 100.0, 100.0],  # the authored tweets: 3 of 4
            "single_tweet_authors_pct": [50.0, 100.0, 100.0],
            "copy_burst_share_pct": [None, None, None],
        },
        schema_overrides={"copy_burst_share_pct": pl.Float64},
    )
    assert_frame_equal(tables.drivers, expected)
    assert tables.concentration.filter(pl.col("hashtag") == "A", pl.col("party") == "PTI")["share_pct"].to_list() == [
        50.0,
        50.0,
        50.0,
    ]
    assert not tables.has_text and tables.bursts.is_empty()


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(date(2022, 4, 20), date(2022, 4, 20)),  # t2 (the 21st) is out
        Filters(date(2022, 4, 21), None),
        Filters(parties=("PTI",), hashtags=("b",)),  # picked as hashtags compare: case and '#' aside
    ],
)
def test_per_hashtag_it_equals_the_raw_row_computation(tmp_path, filters):
    days, rows = rolled(tmp_path, ROWS)
    ours, raw = author_day_tables(days, NO_GROUPS, filters), driver_tables(rows, NO_GROUPS, filters, TZ)
    assert_frame_equal(ours.drivers, raw.drivers)
    assert_frame_equal(ours.concentration, raw.concentration)


def test_on_the_20th_only_a1_has_one_tweet_in_a(tmp_path):
    days, _ = rolled(tmp_path, ROWS)
    drivers = author_day_tables(days, NO_GROUPS, Filters(date(2022, 4, 20), date(2022, 4, 20))).drivers
    assert drivers.filter(pl.col("hashtag") == "A", pl.col("party") == "PTI")["tweets"].item() == 3  # t1, t3, t4


def test_per_campaign_the_day_sums_would_count_a_two_hashtag_tweet_twice(tmp_path):
    """Why campaigns are read from raw rows: a1's t1 is in A and in B; as one campaign it is one tweet."""
    days, rows = rolled(tmp_path, ROWS)
    groups = pl.DataFrame({"hashtag": ["A", "B"], "campaign": ["AB", "AB"]})
    by_campaign = driver_tables(rows, groups, Filters(), TZ, "campaign").drivers
    assert by_campaign.filter(pl.col("party") == "PTI")["tweets"].item() == 5  # t1, t2, t3, t4, the id-less row
    summed = days.filter(pl.col("party") == "PTI")["tweets"].sum()
    assert summed == 6  # t1 twice


def test_with_bursts_adds_the_raw_rows_bursts_and_their_share(tmp_path):
    pasted = [(f"p{i}", "PTI", "#A", f"b{i}", at(100 + 30 * i), "Same text https://t.co/x") for i in range(5)]
    days, rows = rolled(tmp_path, ROWS + pasted)
    ours = with_bursts(author_day_tables(days, NO_GROUPS, Filters()), rows, NO_GROUPS, Filters(), TZ, 5)
    raw = driver_tables(rows, NO_GROUPS, Filters(), TZ, "hashtag", 5)
    assert_frame_equal(ours.drivers, raw.drivers)
    assert_frame_equal(ours.bursts, raw.bursts)
    assert ours.has_text
    # A/PTI: 4 tweets + 5 pasted; the 5 pasted are the burst. B has no text: no share.
    assert ours.drivers.select("hashtag", "party", "tweets", "copy_burst_share_pct").rows() == [
        ("A", "PTI", 9, 5 / 9 * 100),
        ("B", "PTI", 2, None),
        ("A", "PPP", 1, None),
    ]
    assert list(ours.drivers.columns) == ["hashtag", *DRIVERS]


def test_with_a_preset_the_bursts_come_from_the_same_whole_days_as_the_day_counts(tmp_path):
    pasted = [(f"p{i}", "PTI", "#A", f"b{i}", at(100 + 30 * i), "Same text https://t.co/x") for i in range(5)]
    days, rows = rolled(tmp_path, ROWS + pasted)
    # The 24 hours from 23:00 on the 20th, local: they touch the 20th, whose counts hold the burst 22:01-22:05.
    preset = Filters(date(2022, 4, 20), date(2022, 4, 21), hours=(T0 + timedelta(hours=1), T0 + timedelta(hours=25)))
    ours = with_bursts(author_day_tables(days, NO_GROUPS, preset), rows, NO_GROUPS, preset, TZ, 5).drivers
    # A/PTI: its 9 tweets of the two days, 5 of them in the burst; not 0 of 9 (the burst before the hours).
    assert ours.filter(pl.col("hashtag") == "A", pl.col("party") == "PTI").select("tweets", "copy_burst_share_pct").row(
        0
    ) == (9, 5 / 9 * 100)


def test_without_texts_with_bursts_changes_nothing(tmp_path):
    days, rows = rolled(tmp_path, ROWS)
    tables = author_day_tables(days, NO_GROUPS, Filters())
    assert with_bursts(tables, rows, NO_GROUPS, Filters(), TZ) is tables


def test_a_hand_edited_author_days_file_is_checked_against_the_contract(tmp_path):
    (tmp_path / "hashtag_author_days.csv").write_text(
        "date,party,hashtag,author_id,tweets\n"
        "2022-04-20,PTI,A,a1,2\n"
        "2022-04-20,PTI,A,a1,5\n"  # the same author and day twice
        "2022-04-20,PTI,A,=HYPERLINK(1),-3\n"
    )
    with pytest.raises(ValidationError) as caught:
        load_dataset(tmp_path, "hashtag_author_days")
    report = str(caught.value)
    assert "hashtag_author_days.csv, line 4, column 'tweets': value '-3': a count cannot be negative" in report
    assert "line 3" in report and "duplicate" in report


def test_the_rollups_parquet_is_held_to_the_raw_tweets_budget_not_the_per_file_one(tmp_path, monkeypatch):
    days, _ = rolled(tmp_path, ROWS)  # 7 rows: 6 author-days and one without an author
    monkeypatch.setenv("PULSE_MAX_ROWS", "2")
    assert_frame_equal(load_author_days(Store(tmp_path / "data")), days)
    monkeypatch.setenv("PULSE_MAX_RAW_TWEETS", "6")
    with pytest.raises(ValidationError, match=r"hashtag_author_days.parquet: too large: 7 rows.*PULSE_MAX_RAW_TWEETS"):
        load_author_days(Store(tmp_path / "data"))


def test_a_negative_count_in_the_rollups_parquet_names_its_row(tmp_path):
    days, _ = rolled(tmp_path, ROWS)
    days.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(-1).otherwise("tweets").alias("tweets")).write_parquet(
        tmp_path / "data" / "hashtag_author_days.parquet"
    )
    with pytest.raises(ValidationError, match="hashtag_author_days.parquet, row 3, column 'tweets': value '-1'"):
        load_author_days(Store(tmp_path / "data"))


def test_only_the_bytes_the_rollup_wrote_skip_the_contract_check(tmp_path, monkeypatch):
    rolled(tmp_path, ROWS)
    path = tmp_path / "data" / "hashtag_author_days.parquet"

    def checked(*args, **kwargs):
        raise AssertionError("validated")

    monkeypatch.setattr(load_module, "validate", checked)
    assert load_author_days(Store(tmp_path / "data")).height == 7  # the manifest names these bytes
    pl.read_parquet(path).write_parquet(path, compression="uncompressed")  # the same rows, other bytes
    with pytest.raises(AssertionError, match="validated"):
        load_author_days(Store(tmp_path / "data"))


def test_raw_rows_day_counts_serve_whole_days_only_where_their_sums_are_exact(tmp_path):
    """Raw rows are counted per author and day once per load (raw_author_days) when no tweet id repeats within a
    hashtag; a repeated one (ROWS' t3, or one tweet on two days) leaves every view to the raw rows, which count it
    once."""
    _, raw = rolled(tmp_path, ROWS)
    assert raw_author_days(raw, TZ) is None  # t3 is on two rows of #A
    distinct = raw.unique(maintain_order=True)  # t3 once
    days = raw_author_days(distinct, TZ)
    assert days is not None
    for filters in (Filters(), Filters(date(2022, 4, 21), date(2022, 4, 21))):
        from_days = view_driver_tables(distinct, None, NO_GROUPS, filters, TZ, raw_days=days)
        from_raw = driver_tables(distinct, NO_GROUPS, filters, TZ)
        assert_frame_equal(from_days.drivers, from_raw.drivers)
        assert_frame_equal(from_days.concentration, from_raw.concentration)
    nothing = view_driver_tables(distinct, None, NO_GROUPS, Filters(parties=("PML-N",)), TZ, raw_days=days)
    assert nothing.drivers.is_empty() and nothing.concentration.is_empty()
    # t2 of a1 again on the 20th: a sum of days would give #A five tweets of PTI; it has four (t1 to t4).
    twice = pl.concat(
        [distinct, distinct.filter(pl.col("tweet_id") == "t2").with_columns(pl.col("created_at") - timedelta(hours=5))]
    )
    assert raw_author_days(twice, TZ) is None
    tables = view_driver_tables(twice, None, NO_GROUPS, Filters(), TZ, raw_days=raw_author_days(twice, TZ))
    assert tables.drivers.filter(pl.col("hashtag") == "A", pl.col("party") == "PTI")["tweets"].item() == 4


@pytest.mark.parametrize(
    "filters",
    [Filters(), Filters(date(2022, 4, 20), date(2022, 4, 21)), Filters(parties=("PTI",)), Filters(date(2022, 4, 21))],
)
def test_a_view_of_every_day_reads_the_totals_summed_once_and_gives_the_same_tables(tmp_path, filters):
    days, _ = rolled(tmp_path, ROWS)  # local days 20 and 21 April
    totals = author_totals(days)
    summed = author_day_tables(days, NO_GROUPS, filters)
    assert_frame_equal(author_day_tables(days, NO_GROUPS, filters, totals).drivers, summed.drivers)
    assert_frame_equal(author_day_tables(days, NO_GROUPS, filters, totals).concentration, summed.concentration)
    # The totals are what such a view reads: a1's 2 tweets of #A doubled show there, and only there.
    doubled = totals.with_columns(pl.when(pl.col("author_id") == "a1").then(pl.col("__n") * 2).otherwise("__n"))
    tweets = author_day_tables(days, NO_GROUPS, filters, doubled).drivers.filter(pl.col("hashtag") == "A")
    whole = filters.start is None or filters.start <= date(2022, 4, 20)
    # #A of PTI: 4 tweets (a1 2, a2 1, one without an author); with a1 doubled, 6. The 21st alone: a1's t2, 1 + 1.
    assert tweets.filter(pl.col("party") == "PTI")["tweets"].to_list() == [6 if whole else 1]
