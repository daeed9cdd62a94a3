"""as_of, the 24 h and 7 d windows, hours covered and partial days, computed by hand on small frames."""

from datetime import date, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.metrics.rallies import current_rallies
from pulse.metrics.recent import (
    as_of,
    data_span,
    day_hours,
    latest_space,
    next_or_latest_rally,
    party_ranking,
    preset_dates,
    strongest_hour,
    window_totals,
    with_coverage,
)
from tests.conftest import counts_frame, utc

KARACHI = "Asia/Karachi"  # UTC+5, no daylight saving
KOLKATA = "Asia/Kolkata"  # UTC+5:30
LONDON = "Europe/London"  # GMT / BST


def days(*dates: date) -> pl.DataFrame:
    return pl.DataFrame({"date": list(dates)})


def coverage(frame: pl.DataFrame) -> list[tuple]:
    return frame.select("date", "hours_covered", "partial_day").rows()


def ending_mid_day() -> pl.DataFrame:
    """30 May 21:00 PKT (16:00 UTC) to the hour starting 1 Jun 04:00 PKT (31 May 23:00 UTC)."""
    return counts_frame(
        [
            ("a", "PTI", utc(2022, 5, 30, 16), 1),
            ("a", "PTI", utc(2022, 5, 30, 23), 2),  # 25 h before as_of: the 24 h before
            ("a", "PTI", utc(2022, 5, 31, 0), 4),  # 24 h before as_of: the last 24 h
            ("b", "PPP", utc(2022, 5, 31, 22), 8),
            ("a", "PTI", utc(2022, 5, 31, 23), 16),  # the last hour of the data (any party)
        ]
    )


def test_as_of_is_the_end_of_the_last_hour_of_every_party_mid_day():
    counts = ending_mid_day()
    assert as_of(counts, None, KARACHI) == utc(2022, 6, 1, 0)  # 1 Jun 05:00 PKT
    # The party filter comes later: PPP alone ends earlier but is measured on the same window.
    assert data_span(counts) == (utc(2022, 5, 30, 16), utc(2022, 6, 1, 0))
    totals = window_totals(counts, utc(2022, 6, 1, 0), ["party"])
    assert totals.rows(named=True) == [
        {
            "party": "PPP",
            "tweets_24h": 8,
            "tweets_prev_24h": 0,
            "growth_24h_pct": None,
            "tweets_7d": 8,
            "tweets_prev_7d": 0,
            "growth_7d_pct": None,
        },
        {
            "party": "PTI",
            "tweets_24h": 4 + 16,
            "tweets_prev_24h": 1 + 2,
            "growth_24h_pct": (20 - 3) / 3 * 100,
            "tweets_7d": 1 + 2 + 4 + 16,
            "tweets_prev_7d": 0,
            "growth_7d_pct": None,
        },
    ]


def test_hours_covered_when_the_data_ends_mid_day():
    daily = days(date(2022, 5, 30), date(2022, 5, 31), date(2022, 6, 1))
    covered = with_coverage(daily, KARACHI, (utc(2022, 5, 30, 16), utc(2022, 6, 1, 0)))
    # 30 May from 21:00 (3 h), 31 May whole, 1 Jun to 05:00 (5 h).
    assert coverage(covered) == [
        (date(2022, 5, 30), 3.0, True),
        (date(2022, 5, 31), 24.0, False),
        (date(2022, 6, 1), 5.0, True),
    ]


def test_data_ending_exactly_at_local_midnight_leaves_no_partial_last_day():
    counts = counts_frame([("a", "PTI", utc(2022, 5, 30, 19), 1), ("a", "PTI", utc(2022, 5, 31, 18), 2)])
    end = as_of(counts, None, KARACHI)
    assert end == utc(2022, 5, 31, 19)  # 1 Jun 00:00 PKT
    covered = with_coverage(days(date(2022, 5, 31)), KARACHI, (utc(2022, 5, 30, 19), end))
    assert coverage(covered) == [(date(2022, 5, 31), 24.0, False)]
    # The last 24 hours are exactly that one local day.
    assert preset_dates(24, end, date(2022, 5, 1), date(2022, 5, 31), KARACHI) == (date(2022, 5, 31),) * 2
    assert window_totals(counts, end, ["party"])["tweets_24h"].to_list() == [1 + 2]


def test_a_date_filter_ending_before_the_data_moves_as_of_to_the_end_of_that_day():
    counts = counts_frame(
        [
            ("a", "PTI", utc(2022, 5, 29, 19), 1),  # 30 May 00:00 PKT
            ("a", "PTI", utc(2022, 5, 30, 18), 2),  # 30 May 23:00 PKT: the last hour of the filter's day
            ("a", "PTI", utc(2022, 5, 30, 19), 4),  # 31 May: after the filter
            ("a", "PTI", utc(2022, 5, 31, 23), 8),
        ]
    )
    end = as_of(counts, date(2022, 5, 30), KARACHI)
    assert end == utc(2022, 5, 30, 19)
    assert as_of(counts, date(2022, 6, 20), KARACHI) == utc(2022, 6, 1, 0)  # a later end changes nothing
    assert window_totals(counts, end, ["party"]).select("tweets_24h", "tweets_7d").row(0) == (3, 3)
    covered = with_coverage(days(date(2022, 5, 30)), KARACHI, (utc(2022, 5, 29, 19), end))
    assert coverage(covered) == [(date(2022, 5, 30), 24.0, False)]


def test_a_half_hour_zone_covers_half_hours():
    # UTC hours in Kolkata: 18:00 UTC on 30 Apr is 23:30 IST; the data ends at 18:00 UTC on 1 May, 23:30 IST.
    counts = counts_frame([("a", "BJP", utc(2022, 4, 30, 18), 1), ("a", "BJP", utc(2022, 5, 1, 17), 2)])
    span = data_span(counts)
    assert span == (utc(2022, 4, 30, 18), utc(2022, 5, 1, 18))
    covered = with_coverage(days(date(2022, 4, 30), date(2022, 5, 1)), KOLKATA, span)
    assert coverage(covered) == [(date(2022, 4, 30), 0.5, True), (date(2022, 5, 1), 23.5, True)]
    # A filter ending on 30 Apr ends at 18:30 UTC, half an hour into the data's last UTC hour of that day.
    assert as_of(counts, date(2022, 4, 30), KOLKATA) == utc(2022, 4, 30, 18) + timedelta(minutes=30)


def test_daylight_saving_days_are_23_and_25_hours_long():
    lengths = pl.select(
        day_hours(pl.lit(date(2022, 3, 27)), LONDON).alias("spring"),
        day_hours(pl.lit(date(2022, 10, 30)), LONDON).alias("autumn"),
        day_hours(pl.lit(date(2022, 6, 1)), LONDON).alias("summer"),
    ).row(0)
    assert lengths == (23.0, 25.0, 24.0)
    # 26 Mar starts 00:00 GMT; 28 Mar starts 23:00 UTC on the 27th (BST): both days whole, the 27th has 23 h.
    span = (utc(2022, 3, 26, 0), utc(2022, 3, 27, 23))
    covered = with_coverage(days(date(2022, 3, 26), date(2022, 3, 27)), LONDON, span)
    assert coverage(covered) == [(date(2022, 3, 26), 24.0, False), (date(2022, 3, 27), 23.0, False)]
    # The autumn day starts 23:00 UTC (BST); ending at its local 12:00 (12:00 UTC, GMT again) it has 13 h of 25.
    autumn = with_coverage(days(date(2022, 10, 30)), LONDON, (utc(2022, 10, 29, 0), utc(2022, 10, 30, 12)))
    assert coverage(autumn) == [(date(2022, 10, 30), 13.0, True)]
    assert as_of(counts_frame([("a", "X", utc(2022, 10, 31, 9), 1)]), date(2022, 10, 30), LONDON) == utc(
        2022, 10, 31, 0
    )


def test_no_data_has_no_as_of_and_covers_nothing():
    empty = counts_frame([])
    assert as_of(empty, date(2022, 5, 1), KARACHI) is None
    assert window_totals(empty, None, ["party"]).height == 0
    assert coverage(with_coverage(days(date(2022, 5, 1)), KARACHI, None)) == [(date(2022, 5, 1), 0.0, True)]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (24, (date(2022, 5, 31), date(2022, 6, 1))),  # 31 May 05:00 to 1 Jun 05:00 PKT
        (168, (date(2022, 5, 25), date(2022, 6, 1))),
        (30 * 24, (date(2022, 5, 2), date(2022, 6, 1))),
        (None, (date(2022, 3, 1), date(2022, 6, 1))),
    ],
)
def test_presets_are_the_local_days_their_hours_touch(hours, expected):
    assert preset_dates(hours, utc(2022, 6, 1, 0), date(2022, 3, 1), date(2022, 6, 1), KARACHI) == expected


def test_preset_days_stay_within_the_data():
    assert preset_dates(168, utc(2022, 6, 1, 0), date(2022, 5, 28), date(2022, 6, 1), KARACHI) == (
        date(2022, 5, 28),
        date(2022, 6, 1),
    )


def test_strongest_hour_against_the_mean_of_its_12_hours_before():
    end = utc(2022, 6, 1, 0)

    def before(hours: int):
        return end - timedelta(hours=hours)

    counts = counts_frame(
        [
            *[("a", "PTI", before(h), 30) for h in (15, 12, 8, 4)],  # a's 12 hours before its peak: 120 / 12
            ("a", "PTI", before(3), 50),  # a's peak, 5x that mean
            ("b", "PPP", before(30), 100),  # outside the last 24 h, but in b's 12 hours before its hour
            ("b", "PPP", before(20), 40),  # 40 / (100 / 12) = 4.8x
            ("c", "PML-N", before(25), 900),  # the most tweets, but 25 h before as_of
            ("c", "PML-N", end, 900),  # after as_of
        ]
    )
    best = strongest_hour(counts, end, ["hashtag", "party"])
    assert (best["hashtag"], best["period_start"], best["tweets"]) == ("a", before(3), 50)
    assert best["mean_before"] == 10.0 and best["ratio"] == 5.0
    assert strongest_hour(counts, before(24), ["hashtag", "party"])["hashtag"] == "c"  # 1 h before that as_of
    first_hours = counts_frame([("new", "PTI", before(2), 7)])  # nothing before it: no ratio, not infinity
    assert strongest_hour(first_hours, end, ["hashtag", "party"])["ratio"] is None
    assert strongest_hour(counts_frame([("a", "PTI", before(30), 1)]), end, ["hashtag", "party"]) is None


def test_the_ranking_puts_the_last_24_hours_first_and_leaves_out_parties_that_never_tweeted():
    summary = pl.DataFrame(
        {
            "party": ["AAA", "BBB", "CCC", "DDD", "EEE"],
            "spaces": [1, 2, 3, 4, 5],
            "tweets": [10, 50, 40, 0, 0],
            "tweets_24h": [5, 2, 5, 0, 0],
            "tweets_prev_24h": [0, 4, 1, 0, 3],
            "growth_24h_pct": [None, -50.0, 400.0, None, -100.0],
            "tweets_7d": [9, 30, 20, 0, 0],
            "tweets_prev_7d": [1, 0, 10, 0, 3],
            "growth_7d_pct": [800.0, None, 100.0, None, -100.0],
        }
    )
    # CCC and AAA tie on 24 h: the week decides. DDD tweeted in neither window nor the range: left out. EEE only
    # in the 24 h before: it stays, with its 0, so a party that went silent is seen.
    expected = pl.DataFrame(
        {
            "party": ["CCC", "AAA", "BBB", "EEE"],
            "tweets_24h": [5, 5, 2, 0],
            "growth_24h_pct": [400.0, None, -50.0, -100.0],
            "tweets_7d": [20, 9, 30, 0],
            "growth_7d_pct": [100.0, 800.0, None, -100.0],
        }
    )
    assert_frame_equal(party_ranking(summary), expected)


def test_the_latest_space_is_the_last_to_start_and_the_next_or_latest_rally_is_relative_to_as_of():
    spaces = pl.DataFrame(
        {"space_id": ["s1", "s2", "s3"], "started_at": [utc(2022, 5, 1), utc(2022, 5, 20), utc(2022, 6, 2)]},
        schema_overrides={"started_at": pl.Datetime("us", "UTC")},
    )
    assert latest_space(spaces)["space_id"] == "s3"  # Spaces have their own clock: not cut at the hashtags' as_of
    assert latest_space(spaces, utc(2022, 6, 1))["space_id"] == "s2"  # before the end of a custom range
    assert latest_space(spaces, utc(2022, 5, 1)) is None  # started at the end is not before it
    rallies = current_rallies(
        pl.DataFrame(
            {
                "rally_id": ["held", "next", "later", "next"],
                "party": ["PTI"] * 4,
                "city": ["Lahore", "Karachi", "Quetta", "Karachi"],
                "announced_at": [utc(2022, 4, 1), utc(2022, 4, 2), utc(2022, 4, 3), utc(2022, 4, 4)],
                "starts_at": [utc(2022, 5, 20), utc(2022, 7, 1), utc(2022, 6, 10), utc(2022, 6, 5)],
            }
        )
    )
    upcoming = next_or_latest_rally(rallies, utc(2022, 6, 1))
    assert (upcoming.row["rally_id"], upcoming.row["starts_at"], upcoming.upcoming) == (
        "next",
        utc(2022, 6, 5),  # as last announced
        True,
    )
    latest = next_or_latest_rally(rallies, utc(2022, 7, 1))
    assert (latest.row["rally_id"], latest.upcoming) == ("later", False)
    assert next_or_latest_rally(rallies.clear(), utc(2022, 7, 1)) is None
