"""overperforming: a Space's total against its party's usual audience before it, computed by hand."""

import polars as pl
from polars.testing import assert_frame_equal

from pulse.metrics.spaces import party_benchmark, space_metrics
from tests.conftest import utc
from tests.test_metrics import spaces_frame


def spaces(rows):
    """(space_id, party, day of April 2022, total) rows as the spaces frame space_metrics takes."""
    return spaces_frame([(s, p, utc(2022, 4, d, 17), None, total, None) for s, p, d, total in rows])


def test_benchmark_is_a_trimmed_mean_of_strictly_earlier_known_spaces_of_the_party():
    frame = spaces(
        [
            ("a1", "PTI", 1, 10),  # a party's first Space: no benchmark
            ("a2", "PTI", 2, 20),
            ("a3", "PTI", 3, 30),
            ("a4", "PTI", 4, 40),  # three earlier Spaces: fewer than 4, no benchmark
            ("a5", "PTI", 5, 100),  # 10 20 30 40, drop 1 each end: (20 + 30) / 2 = 25
            ("a6", "PTI", 6, None),  # unknown total: benchmark 30, overperforming empty
            ("a7", "PTI", 7, 60),  # a6 is not counted: 10 20 30 40 100 -> 20 30 40 -> 30
            ("a8", "PTI", 8, 90),  # a8 and a9 start together: neither counts the other;
            ("a9", "PTI", 8, 45),  # 10 20 30 40 60 100 -> 20 30 40 60 -> 37.5
            ("b1", "PPP", 9, 500),  # another party's Spaces never count: PPP's first Space
            ("b2", "PPP", 10, 50),
        ]
    )
    result = space_metrics(frame).select("space_id", "benchmark_listeners", "overperforming")
    expected = pl.DataFrame(
        {
            "space_id": ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "b1", "b2"],
            "benchmark_listeners": [None, None, None, None, 25.0, 30.0, 30.0, 37.5, 37.5, None, None],
            "overperforming": [None, None, None, None, 4.0, None, 2.0, 2.4, 1.2, None, None],
        }
    )
    assert_frame_equal(result, expected)


def test_benchmark_takes_the_20_most_recent_and_trims_a_quarter_at_each_end():
    # Totals 1..25 on days 1..25: the 20 most recent are 6..25; floor(20/4) = 5 dropped at each end
    # leaves 11..20, mean 15.5. (The 20 oldest would give 6..15, mean 10.5.)
    frame = spaces([(f"s{d:02}", "PTI", d, d) for d in range(1, 26)] + [("last", "PTI", 26, 31)])
    result = party_benchmark(frame).filter(pl.col("space_id") == "last")
    assert_frame_equal(result, pl.DataFrame({"space_id": ["last"], "benchmark_listeners": [15.5]}))
    assert space_metrics(frame).filter(pl.col("space_id") == "last")["overperforming"].item() == 2.0


def test_trimming_with_seven_earlier_spaces_drops_one_at_each_end_and_ties_are_kept_once_each():
    # n = 7, floor(7/4) = 1: sorted 5 5 5 10 10 10 70 -> drop one 5 and the 70 -> 5 5 10 10 10 -> 8
    totals = [10, 5, 70, 5, 10, 5, 10]
    frame = spaces([(f"s{d}", "PTI", d, t) for d, t in enumerate(totals, start=1)] + [("x", "PTI", 9, 16)])
    result = space_metrics(frame).filter(pl.col("space_id") == "x")
    assert result.select("benchmark_listeners", "overperforming").row(0) == (8.0, 2.0)


def test_a_zero_benchmark_gives_no_multiple():
    frame = spaces([(f"s{d}", "PTI", d, 0) for d in range(1, 5)] + [("x", "PTI", 6, 10)])
    assert space_metrics(frame).filter(pl.col("space_id") == "x")["overperforming"].item() is None
