"""pulse.data.load.with_tracked_audience: peak and average listeners of a Space from its tracked samples."""

import shutil
from datetime import timedelta

import polars as pl
from polars.testing import assert_frame_equal

from pulse.connectors.x_frames import SPACES_SCHEMA
from pulse.data.load import load_data_dir, with_tracked_audience
from tests.conftest import BUNDLED, utc

T0 = utc(2024, 2, 1, 17)
SAMPLES_SCHEMA = {"space_id": pl.String, "at": pl.Datetime("us", "UTC"), "participants": pl.Int64}


def samples(space_id: str, points: list[tuple[float, int]]) -> list[tuple]:
    """(space_id, at, participants) rows from (seconds after 17:00, participants)."""
    return [(space_id, T0 + timedelta(seconds=s), n) for s, n in points]


def spaces(rows: list[tuple[str, int | None, int | None, float | None]]) -> pl.DataFrame:
    """Spaces from (space_id, total, peak, avg); the other columns do not matter here."""
    return pl.DataFrame(
        [(space_id, "PTI", "host", None, T0, None, total, peak, avg, None) for space_id, total, peak, avg in rows],
        schema=SPACES_SCHEMA,
        orient="row",
    )


def test_peak_and_average_come_from_the_curve_where_empty():
    curve = [(0, 10), (60, 30), (120, 20)]  # peak 30; trapezoids (10+30)/2*60 + (30+20)/2*60 = 2700 over 120 s
    tracked = pl.DataFrame(
        samples("A", curve)
        + samples("B", [(0, 40), (60, 40)])
        + samples("C", curve)
        + samples("D", [(0, 100)])
        + samples("E", [(0, 0), (60, 30)])  # average 15
        + samples("G", [(0, 33), (0.3, 33), (0.7, 33)])  # float noise: the sum comes out at 33.00000000000001
        + samples("Z", [(0, 5)]),  # a Space not in the table: ignored
        schema=SAMPLES_SCHEMA,
        orient="row",
    )
    given = spaces(
        [
            ("A", 100, None, None),  # both derived: 30 and 22.5
            ("B", None, 50, None),  # the stored peak wins; the derived average (40) fits under it
            ("C", 25, None, None),  # derived peak 30 is above the reported total 25: left empty
            ("D", 200, 20, 15.0),  # stored values win over the samples
            ("E", None, 10, None),  # derived average 15 is above the stored peak 10: left empty
            ("F", 90, None, None),  # no samples: unchanged
            ("G", 33, None, None),  # peak 33 = total; the average is exactly 33
        ]
    )
    expected = spaces(
        [
            ("A", 100, 30, 22.5),
            ("B", None, 50, 40.0),
            ("C", 25, None, 22.5),
            ("D", 200, 20, 15.0),
            ("E", None, 10, None),
            ("F", 90, None, None),
            ("G", 33, 33, 33.0),
        ]
    )
    assert_frame_equal(with_tracked_audience(given, tracked), expected)


def test_no_samples_changes_nothing():
    given = spaces([("A", 100, None, None)])
    assert_frame_equal(with_tracked_audience(given, pl.DataFrame(schema=SAMPLES_SCHEMA)), given)


def test_loading_a_data_directory_fills_a_tracked_space(tmp_path):
    shutil.copytree(BUNDLED, tmp_path, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.py", "*.md"))
    space_id = "sp-0001"  # the K-pop record: 44,000 listeners, no peak or average reported
    stored = pl.read_csv(tmp_path / "spaces.csv", infer_schema=False).filter(pl.col("space_id") == space_id)
    assert stored.select("peak_listeners", "avg_listeners").row(0) == (None, None)
    (tmp_path / "space_samples.csv").write_text(
        "space_id,at,participants\n"
        f"{space_id},2022-04-20T17:00:00Z,100\n"
        f"{space_id},2022-04-20T17:01:00Z,300\n"
        f"{space_id},2022-04-20T17:02:00Z,200\n"
    )
    data = load_data_dir(tmp_path, "Asia/Karachi")
    row = data.spaces.filter(pl.col("space_id") == space_id).row(0, named=True)
    assert (row["peak_listeners"], row["avg_listeners"]) == (300, 225.0)
    assert data.space_samples.height == 3
