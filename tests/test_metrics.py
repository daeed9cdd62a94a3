"""Every metric of docs/metrics.md against values computed by hand on small frames."""

from datetime import date

import polars as pl
from polars.testing import assert_frame_equal

from pulse.data.load import aggregate_tweets
from pulse.metrics.events import event_lift, events
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import hashtag_daily, party_daily
from pulse.metrics.rallies import current_rallies
from pulse.metrics.recent import window_totals
from pulse.metrics.spaces import space_metrics
from pulse.metrics.summary import party_summary
from tests.conftest import counts_frame, utc

TZ = "Asia/Karachi"  # UTC+5, no daylight saving


def spaces_frame(rows):
    return pl.DataFrame(
        rows,
        schema={
            "space_id": pl.String,
            "party": pl.String,
            "started_at": pl.Datetime("us", "UTC"),
            "ended_at": pl.Datetime("us", "UTC"),
            "total_listeners": pl.Int64,
            "avg_listeners": pl.Float64,
        },
        orient="row",
    )


def test_space_metrics_record_progression():
    spaces = spaces_frame(
        [
            ("kpop", "OTHER", utc(2022, 3, 5, 12), utc(2022, 3, 5, 13), 44_000, 20_000.0),
            ("first", "PTI", utc(2022, 3, 1, 12), utc(2022, 3, 1, 12, 30), 10_000, 2_500.0),
            ("record", "PTI", utc(2022, 4, 20, 17), utc(2022, 4, 20, 19), 446_000, 165_000.0),
            ("live", "PPP", utc(2022, 4, 21, 17), None, 20_000, None),
            ("unknown", "PPP", utc(2022, 4, 22, 17), utc(2022, 4, 22, 18), None, 900.0),
        ]
    )
    result = space_metrics(spaces).select(
        "space_id", "duration_min", "retention_pct", "listener_minutes", "record_multiple", "is_record"
    )
    expected = pl.DataFrame(
        {
            "space_id": ["first", "kpop", "record", "live", "unknown"],
            "duration_min": [30.0, 60.0, 120.0, None, 60.0],
            "retention_pct": [25.0, 20_000 / 44_000 * 100, 165_000 / 446_000 * 100, None, None],
            "listener_minutes": [75_000.0, 1_200_000.0, 19_800_000.0, None, 54_000.0],
            "record_multiple": [None, 4.4, 446_000 / 44_000, 20_000 / 446_000, None],
            "is_record": [True, True, True, False, None],
        }
    )
    assert_frame_equal(result, expected)


def test_spaces_starting_together_are_not_measured_against_each_other():
    spaces = spaces_frame(
        [
            ("a", "PTI", utc(2022, 4, 1), None, 100, None),
            ("b", "PTI", utc(2022, 4, 2), None, 300, None),
            ("c", "PPP", utc(2022, 4, 2), None, 200, None),
        ]
    )
    result = space_metrics(spaces)
    assert result["record_multiple"].to_list() == [None, 3.0, 2.0]
    assert result["is_record"].to_list() == [True, True, True]


def test_hashtag_daily_fills_gaps_and_cuts_days_in_local_time():
    counts = counts_frame(
        [
            ("a", "PTI", utc(2022, 4, 1, 10), 10),
            # 20:30 UTC on 1 April is 01:30 on 2 April in Pakistan: it counts for the 2nd.
            ("a", "PTI", utc(2022, 4, 1, 20, 30), 5),
            ("a", "PTI", utc(2022, 4, 4, 10), 30),
            ("b", "PPP", utc(2022, 4, 2, 10), 8),
        ]
    )
    expected = pl.DataFrame(
        {
            "hashtag": ["a"] * 4 + ["b"] * 4,
            "party": ["PTI"] * 4 + ["PPP"] * 4,
            "date": [date(2022, 4, d) for d in (1, 2, 3, 4)] * 2,
            "tweets": [10, 5, 0, 30, 0, 8, 0, 0],
            "growth_pct": [None, -50.0, -100.0, None, None, None, -100.0, None],
            "rolling_7d": [10.0, 7.5, 5.0, 11.25, 0.0, 4.0, 8 / 3, 2.0],
            "cumulative": [10, 15, 15, 45, 0, 8, 8, 8],
        }
    )
    assert_frame_equal(hashtag_daily(counts, TZ), expected)


def test_hashtag_daily_same_counts_in_utc_keep_the_first_day():
    counts = counts_frame([("a", "PTI", utc(2022, 4, 1, 10), 10), ("a", "PTI", utc(2022, 4, 1, 20, 30), 5)])
    assert hashtag_daily(counts, "UTC")["tweets"].to_list() == [15]


def test_rolling_7d_uses_exactly_seven_days_once_there_are_seven():
    counts = counts_frame([("a", "PTI", utc(2022, 4, d, 6), d) for d in range(1, 10)])
    rolling = hashtag_daily(counts, TZ)["rolling_7d"].to_list()
    assert rolling[6] == (1 + 2 + 3 + 4 + 5 + 6 + 7) / 7
    assert rolling[8] == (3 + 4 + 5 + 6 + 7 + 8 + 9) / 7


def test_party_daily_share_of_voice_and_zero_day():
    daily = pl.DataFrame(
        {
            "hashtag": ["a", "a", "b", "c", "c"],
            "party": ["PTI", "PTI", "PTI", "PPP", "PPP"],
            "date": [date(2022, 4, 1), date(2022, 4, 2), date(2022, 4, 1), date(2022, 4, 1), date(2022, 4, 2)],
            "tweets": [30, 0, 10, 60, 0],
        }
    )
    expected = pl.DataFrame(
        {
            "party": ["PPP", "PPP", "PTI", "PTI"],
            "date": [date(2022, 4, 1), date(2022, 4, 2)] * 2,
            "tweets": [60, 0, 40, 0],
            "share_of_voice_pct": [60.0, None, 40.0, None],
            "growth_pct": [None, -100.0, None, -100.0],
            "rolling_7d": [60.0, 30.0, 40.0, 20.0],
        }
    )
    assert_frame_equal(party_daily(daily), expected)


def _daily(party: str, tweets: list[int]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "hashtag": ["t"] * len(tweets),
            "party": [party] * len(tweets),
            "date": pl.date_range(date(2022, 4, 1), date(2022, 4, len(tweets)), eager=True),
            "tweets": tweets,
        }
    )


def test_party_summary_with_recent_windows_and_unknown_reach():
    # 15 days: PTI has 1/day in days 1-8 and 3/day in days 9-15; PPP is silent until day 9.
    daily = pl.concat([_daily("PTI", [1] * 8 + [3] * 7), _daily("PPP", [0] * 8 + [2] * 7)])
    # The windows come from hourly counts ending at as_of (here 15 Apr 19:00 UTC = 16 Apr 00:00 PKT).
    as_of = utc(2022, 4, 15, 19)
    counts = counts_frame(
        [
            ("t", "PTI", utc(2022, 4, 15, 18), 3),  # the last hour: in the last 24 h
            ("t", "PTI", utc(2022, 4, 14, 19), 5),  # exactly 24 h before as_of: in the last 24 h
            ("t", "PTI", utc(2022, 4, 14, 18), 7),  # 25 h before: the 24 h before those
            ("t", "PTI", utc(2022, 4, 8, 19), 11),  # exactly 168 h before: still in the last 7 days
            ("t", "PTI", utc(2022, 4, 8, 18), 13),  # 169 h before: the 7 days before
            ("t", "PTI", utc(2022, 4, 1, 18), 17),  # 337 h before: in no window
            ("t", "PPP", utc(2022, 4, 15, 19), 1000),  # at as_of: after it, in no window
        ]
    )
    recent = window_totals(counts, as_of, ["party"])
    spaces = spaces_frame(
        [
            ("s1", "PTI", utc(2022, 4, 3), None, 100, None),
            ("s2", "PTI", utc(2022, 4, 4), None, None, None),
            ("s3", "MQM-P", utc(2022, 4, 4), None, 50, None),
            ("s4", "JUI-F", utc(2022, 4, 4), None, None, None),  # its only Space has no known total
        ]
    )
    rallies = pl.DataFrame({"rally_id": ["r1", "r2"], "party": ["PTI", "PTI"]})
    expected = pl.DataFrame(
        {
            "party": ["JUI-F", "MQM-P", "PPP", "PTI"],
            "spaces": [1, 1, 0, 2],
            "spaces_reach": [None, 50, 0, 100],
            "best_space_reach": [None, 50, None, 100],
            "tweets": [0, 0, 14, 29],
            "share_of_voice_pct": [0.0, 0.0, 14 / 43 * 100, 29 / 43 * 100],
            "rallies": [0, 0, 0, 2],
            "as_of": [as_of] * 4,
            "tweets_24h": [0, 0, 0, 3 + 5],
            "tweets_prev_24h": [0, 0, 0, 7],
            "growth_24h_pct": [None, None, None, (8 - 7) / 7 * 100],
            "tweets_7d": [0, 0, 0, 3 + 5 + 7 + 11],
            "tweets_prev_7d": [0, 0, 0, 13],
            "growth_7d_pct": [None, None, None, (26 - 13) / 13 * 100],
        },
        schema_overrides={"spaces": pl.Int64, "rallies": pl.Int64, "spaces_reach": pl.Int64},
    )
    assert_frame_equal(party_summary(spaces, daily, rallies, recent, as_of), expected)
    only_pti = party_summary(spaces, daily, rallies, recent, as_of, ("PTI",))
    assert only_pti["share_of_voice_pct"].to_list() == [29 / 43 * 100]


def rallies_frame():
    return pl.DataFrame(
        {
            "rally_id": ["lhr", "lhr", "lhr"],
            "party": ["PTI"] * 3,
            "city": ["Lahore"] * 3,
            "announced_at": [utc(2022, 4, 10, 12), utc(2022, 4, 14, 12), utc(2022, 4, 17, 12)],
            "starts_at": [utc(2022, 4, 23, 14), utc(2022, 4, 24, 14), utc(2022, 4, 21, 14)],
        }
    )


def test_current_rally_is_the_latest_announcement():
    now = current_rallies(rallies_frame())
    assert now.select("rally_id", "starts_at", "announcements", "lead_days").row(0) == (
        "lhr",
        utc(2022, 4, 21, 14),
        3,
        11.083333333333334,
    )


def test_events_cover_spaces_every_announcement_and_the_rally():
    spaces = spaces_frame([("s1", "PTI", utc(2022, 4, 20, 17), None, 446_000, None)])
    assert events(spaces, rallies_frame()).select("event_type", "event_id", "at").rows() == [
        ("rally_announcement", "lhr", utc(2022, 4, 10, 12)),
        ("rally_announcement", "lhr", utc(2022, 4, 14, 12)),
        ("rally_announcement", "lhr", utc(2022, 4, 17, 12)),
        ("space", "s1", utc(2022, 4, 20, 17)),
        ("rally", "lhr", utc(2022, 4, 21, 14)),
    ]


def test_event_lift_windows_and_zero_baseline():
    counts = counts_frame(
        [
            ("a", "PTI", utc(2022, 4, 13, 17), 70),  # exactly 7 days before: inside the baseline
            ("b", "PTI", utc(2022, 4, 13, 16), 1000),  # just before the baseline window
            ("a", "PTI", utc(2022, 4, 20, 16), 70),  # the hour before the event
            ("a", "PTI", utc(2022, 4, 20, 17), 300),  # the event's hour counts after
            ("b", "PTI", utc(2022, 4, 21, 16), 200),  # last hour of the 24 h
            ("a", "PTI", utc(2022, 4, 21, 17), 5000),  # first hour after the 24 h
            ("c", "PPP", utc(2022, 4, 20, 18), 40),  # another party
        ]
    )
    happenings = pl.DataFrame(
        {
            "event_type": ["space", "space"],
            "event_id": ["pti", "ppp"],
            "party": ["PTI", "PPP"],
            "at": [utc(2022, 4, 20, 17), utc(2022, 4, 20, 17)],
        },
        schema_overrides={"at": pl.Datetime("us", "UTC")},
    )
    expected = pl.DataFrame(
        {
            "event_type": ["space", "space"],
            "event_id": ["ppp", "pti"],
            "party": ["PPP", "PTI"],
            "at": [utc(2022, 4, 20, 17)] * 2,
            "baseline": [0.0, 20.0],
            "after_24h": [40, 500],
            "lift": [None, 25.0],
        },
        schema_overrides={"at": pl.Datetime("us", "UTC")},
    )
    assert_frame_equal(event_lift(happenings, counts), expected)


def test_raw_tweets_aggregate_by_local_hour_with_unique_authors():
    tweets = pl.DataFrame(
        {
            "created_at": [
                utc(2022, 4, 20, 20, 30),
                utc(2022, 4, 20, 20, 59),
                utc(2022, 4, 20, 18, 29),
                utc(2022, 4, 20, 19, 0),
            ],
            "party": ["PTI"] * 4,
            "hashtag": ["a"] * 4,
            "author_id": ["u1", "u1", "u2", None],
        },
        schema_overrides={"created_at": pl.Datetime("us", "UTC")},
    )
    counts, authors = aggregate_tweets(tweets, "Asia/Kolkata")  # UTC+5:30: hours start at :30 UTC
    assert_frame_equal(
        counts,
        counts_frame(
            [
                ("a", "PTI", utc(2022, 4, 20, 17, 30), 1),  # 18:29 UTC is 23:59 local on the 20th
                ("a", "PTI", utc(2022, 4, 20, 18, 30), 1),
                ("a", "PTI", utc(2022, 4, 20, 20, 30), 2),
            ]
        ),
    )
    # u2 on the 20th; u1 twice on the 21st counts once; the tweet without an author is not counted.
    assert authors.rows() == [("a", "PTI", date(2022, 4, 20), 1), ("a", "PTI", date(2022, 4, 21), 1)]


def test_filters_default_to_everything():
    assert Filters() == Filters(None, None, None, None)
