"""The page metrics (Spaces, Hashtags, Rallies, Compare) against values computed by hand on small frames."""

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.metrics.events import event_windows
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import (
    HashtagTables,
    campaign_daily,
    hashtag_daily,
    hashtag_series,
    series_summary,
    share_of_voice,
    spike_days,
    top_series,
    with_campaign,
    with_other,
)
from pulse.metrics.rallies import largest_crowds, rally_headline, rally_history
from pulse.metrics.recent import window_totals
from pulse.metrics.series import fill_gaps
from pulse.metrics.spaces import (
    record_progression,
    space_benchmarks,
    space_labels,
    space_metrics,
    space_ranking,
    space_reach_by_party,
)
from pulse.metrics.summary import head_to_head
from tests.conftest import counts_frame, utc
from tests.test_metrics import TZ, rallies_frame, spaces_frame


def four_spaces() -> pl.DataFrame:
    return space_metrics(
        spaces_frame(
            [
                ("kpop", "OTHER", utc(2022, 3, 5, 12), utc(2022, 3, 5, 13), 44_000, 20_000.0),
                ("a", "PTI", utc(2022, 3, 1, 12), utc(2022, 3, 1, 13), 10_000, 2_000.0),
                ("b", "PTI", utc(2022, 4, 20, 17), utc(2022, 4, 20, 19), 446_000, 165_000.0),
                ("c", "PTI", utc(2022, 4, 22, 17), utc(2022, 4, 22, 18), 20_000, 4_000.0),
                ("d", "PPP", utc(2022, 4, 23, 17), None, None, 300.0),
            ]
        ).with_columns(
            pl.col("space_id").alias("host"), (pl.col("avg_listeners") * 2).cast(pl.Int64).alias("peak_listeners")
        )
    )


def test_space_ranking_largest_first_unknown_last():
    ranked = space_ranking(four_spaces())
    assert ranked.select("rank", "space_id").rows() == [(1, "b"), (2, "kpop"), (3, "c"), (4, "a"), (None, "d")]


def test_record_progression_keeps_the_previous_record_before_the_date_filter():
    spaces = four_spaces()
    every = record_progression(spaces, Filters(), TZ)
    assert every.select("space_id", "total_listeners", "previous_record", "record_multiple").rows() == [
        ("a", 10_000, None, None),
        ("kpop", 44_000, 10_000, 4.4),
        ("b", 446_000, 44_000, 446_000 / 44_000),
    ]
    april = record_progression(spaces, Filters(start=date(2022, 4, 1)), TZ)
    assert april.select("space_id", "previous_record").rows() == [("b", 44_000)]


def test_space_reach_by_party():
    expected = pl.DataFrame(
        {
            "party": ["PTI", "OTHER", "PPP"],
            "spaces": [3, 1, 1],
            "spaces_reach": [476_000, 44_000, 0],
            "median_space_reach": [20_000.0, 44_000.0, None],
            "best_space_reach": [446_000, 44_000, None],
        },
        schema_overrides={"spaces": pl.Int64},
    )
    assert_frame_equal(space_reach_by_party(four_spaces()), expected)


def test_space_benchmarks_beside_party_median_and_record():
    result = space_benchmarks(four_spaces(), "c")
    assert result.select("compared", "space_id", "total_listeners", "avg_listeners", "duration_min").rows() == [
        ("This Space", "c", 20_000.0, 4_000.0, 60.0),
        ("Median PTI Space", None, 20_000.0, 4_000.0, 60.0),
        ("All-time record", "b", 446_000.0, 165_000.0, 120.0),
    ]
    assert space_benchmarks(four_spaces(), "nope").is_empty()


def daily_series(tweets: list[int], tag: str = "a", party: str = "PTI") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "hashtag": [tag] * len(tweets),
            "party": [party] * len(tweets),
            "date": pl.date_range(date(2022, 4, 1), date(2022, 4, len(tweets)), eager=True),
            "tweets": tweets,
        }
    )


def test_spike_days_rule():
    # 7 quiet days of 100, then 250 (> 2 x 100: spike), 150 (mean of 8 days 118.75: not 2x). After a silent week,
    # 90 is below the 100-tweet minimum even though 90 > 2 x 0.
    tweets = [100] * 7 + [250, 150]
    result = spike_days(daily_series(tweets), "hashtag")
    assert result["trailing_mean"].to_list()[6:] == [None, 100.0, (700 + 250) / 8]  # day 7 has 6 days behind it
    assert result["is_spike"].to_list() == [False] * 7 + [True, False]
    assert result["spike_ratio"][7] == 2.5
    quiet = spike_days(daily_series([0] * 7 + [90, 100]), "hashtag")
    assert quiet["is_spike"].to_list() == [False] * 8 + [True]  # launch day of a new hashtag: 100 > 2 x 0
    too_early = spike_days(daily_series([1, 1, 1, 500]), "hashtag")
    assert not too_early["is_spike"].any()  # fewer than 7 days of history


def test_spike_window_is_fourteen_days():
    tweets = [1000] * 5 + [10] * 14 + [50]
    result = spike_days(daily_series(tweets), "hashtag")
    assert result["trailing_mean"][-1] == 10.0  # the 1000s are more than 14 days back
    assert not result["is_spike"][-1]  # 50 > 2 x 10, but under 100 tweets


def test_campaigns_merge_spellings_and_keep_unlisted_hashtags():
    daily = pl.concat(
        [daily_series([1, 2], "imported"), daily_series([10, 20], "امپورٹڈ"), daily_series([5, 0], "other")]
    )
    groups = pl.DataFrame(
        {"hashtag": ["imported", "امپورٹڈ", "imported"], "campaign": ["Imported", "Imported", "Duplicate"]}
    )
    assert with_campaign(daily, groups).height == daily.height  # a duplicate mapping never double-counts
    result = campaign_daily(daily, groups)
    assert result.select("campaign", "date", "tweets", "growth_pct", "cumulative").rows() == [
        ("Imported", date(2022, 4, 1), 11, None, 11),
        ("Imported", date(2022, 4, 2), 22, 100.0, 33),
        ("other", date(2022, 4, 1), 5, None, 5),
        ("other", date(2022, 4, 2), 0, -100.0, 5),
    ]


def test_campaigns_match_hashtags_whatever_the_groups_file_spelling():
    daily = pl.concat([daily_series([1, 2], "ImportedHakumatNaManzoor"), daily_series([10, 20], "ImportedHakoomat")])
    groups = pl.DataFrame({"hashtag": ["importedhakumatnamanzoor", "#IMPORTEDHAKOOMAT"], "campaign": ["Imported"] * 2})
    assert with_campaign(daily, groups)["hashtag"].to_list() == daily["hashtag"].to_list()  # the data's spelling
    assert campaign_daily(daily, groups).select("campaign", "tweets").rows() == [("Imported", 11), ("Imported", 22)]


def test_fill_hours_and_series_summary():
    counts = counts_frame(
        [
            ("a", "PTI", utc(2022, 4, 1, 10), 10),
            ("a", "PTI", utc(2022, 4, 1, 12), 30),
            ("b", "PTI", utc(2022, 4, 1, 11), 5),
            ("c", "PPP", utc(2022, 4, 2, 10), 8),
        ]
    )
    hourly = fill_gaps(counts, ["hashtag", "party"], "hour")
    assert hourly.height == 3 * 25  # 10:00 on the 1st to 10:00 on the 2nd, for each of three hashtags
    assert hourly.filter(pl.col("hashtag") == "a")["tweets"].sum() == 40
    daily = spike_days(hashtag_daily(counts, TZ), "hashtag")
    recent = window_totals(counts, utc(2022, 4, 2, 11), ["hashtag", "party"])  # as_of: the end of c's hour
    summary = series_summary(daily, hourly, "hashtag", recent)
    # b's hour is 24 h before as_of: in the last 7 days, like every other hour here
    assert summary.select("hashtag", "tweets_7d", "growth_7d_pct").rows() == [
        ("c", 8, None),
        ("a", 40, None),
        ("b", 5, None),
    ]
    assert summary.select("party", "rank", "hashtag", "tweets", "share_of_party_pct", "peak_hour_tweets").rows() == [
        ("PPP", 1, "c", 8, 100.0, 8),
        ("PTI", 1, "a", 40, 40 / 45 * 100, 30),
        ("PTI", 2, "b", 5, 5 / 45 * 100, 5),
    ]
    assert summary.filter(pl.col("hashtag") == "a")["peak_hour"].item() == utc(2022, 4, 1, 12)


def test_a_chart_draws_the_top_series_and_sums_the_rest_as_one_line():
    # Over 1-3 April: z 60, d 9, e 9 (a tie: d before e by name), c 6, b 3, a 2.
    daily = hashtag_series(
        pl.concat(
            [
                daily_series([10, 20, 30], "z"),
                daily_series([1, 2, 0], "b"),
                daily_series([5, 0, 1], "c", "PPP"),
                daily_series([3, 4, 2], "d", "PPP"),
                daily_series([0, 0, 9], "e", "PML-N"),
                daily_series([2, 0, 0], "a", "PPP"),
            ]
        )
    ).with_columns(
        trailing_mean=pl.lit(10.0),
        spike_ratio=pl.col("tweets") / 10,
        is_spike=pl.col("tweets") == 30,
        hours_covered=pl.when(pl.col("date") == date(2022, 4, 3)).then(5.0).otherwise(24.0),
        partial_day=pl.col("date") == date(2022, 4, 3),
    )
    top = top_series(daily, "hashtag", 3)
    assert top.rows() == [("z", "PTI"), ("d", "PPP"), ("e", "PML-N")]
    shown = with_other(daily, top, "hashtag")
    assert shown.columns == daily.columns
    kept = [daily.filter((pl.col("hashtag") == tag) & (pl.col("party") == party)) for tag, party in top.rows()]
    assert_frame_equal(shown.head(9), pl.concat(kept))  # as they were, spike days included, the largest first
    # b + c + a: 1 + 5 + 2, 2 + 0 + 0, 0 + 1 + 0
    other = shown.filter(pl.col("hashtag") == "Other hashtags")
    assert other.select(
        "party", "date", "tweets", "growth_pct", "rolling_7d", "cumulative", "is_spike", "hours_covered", "partial_day"
    ).rows() == [
        (None, date(2022, 4, 1), 8, None, 8.0, 8, False, 24.0, False),
        (None, date(2022, 4, 2), 2, -75.0, 5.0, 10, False, 24.0, False),
        (None, date(2022, 4, 3), 1, -50.0, 11 / 3, 11, False, 5.0, True),
    ]
    assert shown.height == 12
    assert other.select("trailing_mean", "spike_ratio").null_count().row(0) == (3, 3)
    assert with_other(daily, top_series(daily, "hashtag", 6), "hashtag").height == daily.height  # nothing left over


def test_the_other_line_sums_hours_and_names_campaigns():
    hourly = pl.DataFrame(
        {
            "campaign": ["x", "x", "y", "y", "z", "z"],
            "party": ["PTI"] * 6,
            "period_start": [utc(2022, 4, 1, 10), utc(2022, 4, 1, 11)] * 3,
            "tweets": [9, 9, 1, 2, 3, 4],
        }
    )
    top = top_series(hourly, "campaign", 1)
    assert with_other(hourly, top, "campaign", "period_start").rows() == [
        ("x", "PTI", utc(2022, 4, 1, 10), 9),
        ("x", "PTI", utc(2022, 4, 1, 11), 9),
        ("Other campaigns", None, utc(2022, 4, 1, 10), 4),
        ("Other campaigns", None, utc(2022, 4, 1, 11), 6),
    ]
    authors = hourly.rename({"tweets": "unique_authors"})
    assert top_series(authors, "campaign", 2, "unique_authors")["campaign"].to_list() == ["x", "z"]


def test_share_of_voice_adds_the_parties_filtered_out():
    party_daily = pl.DataFrame(
        {
            "party": ["PTI", "PTI"],
            "date": [date(2022, 4, 1), date(2022, 4, 2)],
            "share_of_voice_pct": [60.0, None],
        }
    )
    assert share_of_voice(party_daily).rows() == [
        ("Other parties", date(2022, 4, 1), 40.0),
        ("PTI", date(2022, 4, 1), 60.0),
    ]


def test_rally_history_shows_each_move():
    history = rally_history(rallies_frame())
    assert history.select("announcement", "moved_days", "is_current").rows() == [
        (1, None, False),
        (2, 1.0, False),
        (3, -3.0, True),
    ]
    assert history["lead_days"].to_list() == pytest.approx([13 + 2 / 24, 10 + 2 / 24, 4 + 2 / 24])


def test_rally_headline_and_largest_crowds():
    current = pl.DataFrame(
        {
            "rally_id": ["lhr", "khi", "pew"],
            "party": ["PTI", "PTI", "PPP"],
            "city": ["Lahore", "Karachi", "Peshawar"],
            "starts_at": [utc(2022, 4, 21, 14), utc(2022, 4, 16, 14), utc(2022, 4, 13, 14)],
            "reported_attendance": [100_000, None, 40_000],
        }
    )
    lift = pl.DataFrame(
        {"event_type": ["rally", "rally", "rally_announcement", "rally"], "lift": [3.0, 1.0, 9.0, None]}
    )
    headline = rally_headline(current, rally_history(rallies_frame()), lift)
    # lhr moved twice (+1 and -3 days): one rally rescheduled; the announcement's 9.0 is not a rally's lift.
    assert (headline.rallies, headline.reported_crowds, headline.without_figure) == (3, 140_000, 1)
    assert (headline.rescheduled, headline.median_lift) == (1, 2.0)
    assert largest_crowds(current)["city"].to_list() == ["Lahore", "Peshawar", "Karachi"]


def test_space_labels_in_local_time():
    spaces = four_spaces()
    labels = space_labels(spaces.filter(pl.col("space_id").is_in(["b", "d"])), TZ)
    # 20 April 17:00 UTC is 22:00 in Pakistan: still the 20th; a Space without a total shows a dash.
    assert labels == {"b": "PTI · b · 20 Apr 2022 · 446,000 listeners", "d": "PPP · d · 23 Apr 2022 · – listeners"}


def test_spike_days_table_lists_only_spikes_in_date_order():
    daily = pl.DataFrame(
        {
            "hashtag": ["b", "a", "a"],
            "party": ["PTI"] * 3,
            "date": [date(2022, 4, 10), date(2022, 4, 10), date(2022, 4, 9)],
            "tweets": [500, 300, 10],
            "is_spike": [True, True, False],
        }
    )
    spikes = HashtagTables("hashtag", daily, pl.DataFrame(), pl.DataFrame()).spike_days
    assert spikes.rows() == [("a", "PTI", date(2022, 4, 10), 300), ("b", "PTI", date(2022, 4, 10), 500)]


def test_head_to_head_measures_as_rows():
    summary = pl.DataFrame(
        {
            "party": ["PPP", "PTI"],
            "spaces": [1, 2],
            "spaces_reach": [50, 100],
            "best_space_reach": [50, None],
            "tweets": [30, 10],
            "share_of_voice_pct": [75.0, 25.0],
            "growth_7d_pct": [None, 10.0],
            "tweets_7d": [7, 11],
            "tweets_prev_7d": [0, 10],
            "rallies": [0, 3],
        }
    )
    table = head_to_head(summary, ["PTI", "PPP"])
    assert table.columns == ["measure", "PTI", "PPP", "leader"]
    assert table.rows()[:7] == [
        ("Tweets, last 7 days (to as of)", 11.0, 7.0, "PTI"),
        ("Tweets, the 7 days before", 10.0, 0.0, "PTI"),
        ("7-day growth (%)", 10.0, None, "PTI"),
        ("Tweets, selected range", 10.0, 30.0, "PPP"),
        ("Share of voice, selected range (%)", 25.0, 75.0, "PPP"),
        ("Spaces reach, selected range (listeners)", 100.0, 50.0, "PTI"),
        ("Rallies, selected range", 3.0, 0.0, "PTI"),
    ]
    assert table.row(8) == ("Best Space (listeners)", None, 50.0, "PPP")


def test_event_windows_align_at_the_event():
    counts = counts_frame(
        [
            ("a", "PTI", utc(2022, 4, 20, 16), 7),  # the hour before: -1
            ("a", "PTI", utc(2022, 4, 20, 17), 11),  # the event's hour: 0
            ("b", "PTI", utc(2022, 4, 21, 18), 5),  # 25 h after: day 1
            ("a", "PTI", utc(2022, 4, 13, 16), 99),  # 169 h before: outside the window
            ("c", "PPP", utc(2022, 4, 20, 17), 1000),  # another party
        ]
    )
    chosen = pl.DataFrame(
        {"event": ["e"], "label": ["Space"], "party": ["PTI"], "at": [utc(2022, 4, 20, 17)]},
        schema_overrides={"at": pl.Datetime("us", "UTC")},
    )
    hourly = event_windows(chosen, counts)
    assert hourly.height == 240 and hourly["offset"].min() == -168 and hourly["offset"].max() == 71
    assert hourly.filter(pl.col("tweets") > 0).select("offset", "tweets").rows() == [(-1, 7), (0, 11), (25, 5)]
    daily = event_windows(chosen, counts, resolution="day")
    assert daily["offset"].to_list() == list(range(-7, 3))
    assert daily.filter(pl.col("tweets") > 0).select("offset", "tweets").rows() == [(-1, 7), (0, 11), (1, 5)]
