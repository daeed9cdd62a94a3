"""pulse.metrics.streams: a stream measured by the Spaces' definitions, the rally it belongs to, each rally's
online audience, the streams live now and Spaces and streams on one time axis; every figure worked out by hand."""

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.data.contract import RALLIES, SPACES, STREAM_SAMPLES, STREAMS
from pulse.data.load import STREAM_AUDIENCE, load_data_dir, with_tracked_audience, with_uploads
from pulse.data.validation import validate
from pulse.metrics.spaces import space_metrics
from pulse.metrics.streams import (
    audience_curves,
    count_hidden,
    live_audiences,
    live_streams,
    rally_links,
    rally_online,
    stream_metrics,
    stream_records,
)
from tests.conftest import BUNDLED, utc

T0 = utc(2022, 4, 21, 15)  # the Lahore rally's start
FIGURES = ("peak_viewers", "avg_viewers")


def streams(rows: list[dict]) -> pl.DataFrame:
    """Streams from dicts holding only what a test is about; every other column empty, party PTI."""
    base = {"platform": "youtube", "party": "PTI", "channel_id": "UC1"}
    return pl.DataFrame([base | row for row in rows], schema=STREAMS.schema)


def rallies(rows: list[tuple[str, str, object]]) -> pl.DataFrame:
    """Rallies from (rally_id, party, starts_at), each announced once a week before."""
    return pl.DataFrame(
        [
            {"rally_id": r, "party": p, "city": "Lahore", "starts_at": at, "announced_at": at - timedelta(days=7)}
            for r, p, at in rows
        ],
        schema=RALLIES.schema,
    )


def samples(rows: list[tuple[str, object, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=STREAM_SAMPLES.schema, orient="row")


def linked(given: pl.DataFrame, held: pl.DataFrame) -> dict[str, tuple]:
    return {s: (r, how) for s, r, how in rally_links(given, held).iter_rows()}


def test_a_stream_keeps_its_own_rally_id_even_when_another_rally_is_nearer():
    held = rallies([("rl-a", "PTI", T0), ("rl-b", "PTI", T0 + timedelta(days=3))])
    given = streams([{"stream_id": "v1", "started_at": T0, "rally_id": "rl-b"}])
    assert linked(given, held) == {"v1": ("rl-b", "given")}


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(hours=6), ("rl-a", "nearest")),  # exactly 6 h after the rally's start: within
        (-timedelta(hours=6), ("rl-a", "nearest")),  # exactly 6 h before: within
        (timedelta(hours=6, seconds=1), (None, None)),  # a second past: no rally
        (-timedelta(hours=6, seconds=1), (None, None)),
    ],
)
def test_the_six_hour_window_holds_its_edges_either_side(offset, expected):
    held = rallies([("rl-a", "PTI", T0)])
    given = streams([{"stream_id": "v1", "started_at": T0 + offset}])
    assert linked(given, held) == {"v1": expected}


def test_only_a_rally_of_the_same_party_and_the_nearest_of_several():
    held = rallies(
        [
            ("rl-far", "PTI", T0 - timedelta(hours=5)),
            ("rl-near", "PTI", T0 + timedelta(hours=2)),
            ("rl-other", "PML-N", T0),  # nearest of all, but another party's
        ]
    )
    given = streams([{"stream_id": "v1", "started_at": T0}, {"stream_id": "v2", "party": "PPP", "started_at": T0}])
    assert linked(given, held) == {"v1": ("rl-near", "nearest"), "v2": (None, None)}


def test_a_tie_goes_to_the_earlier_rally_then_the_smaller_rally_id():
    held = rallies(
        [
            ("rl-late", "PTI", T0 + timedelta(hours=3)),
            ("rl-early", "PTI", T0 - timedelta(hours=3)),  # 3 h either side: the earlier wins
            ("rl-z", "PTI", T0 + timedelta(days=2)),
            ("rl-y", "PTI", T0 + timedelta(days=2)),  # the same moment: the smaller id wins
        ]
    )
    given = streams(
        [{"stream_id": "v1", "started_at": T0}, {"stream_id": "v2", "started_at": T0 + timedelta(days=2, hours=1)}]
    )
    assert linked(given, held) == {"v1": ("rl-early", "nearest"), "v2": ("rl-y", "nearest")}


def test_a_rescheduled_rally_links_by_its_current_date_and_an_upcoming_stream_links_to_none():
    held = pl.concat(
        [
            rallies([("rl-a", "PTI", T0 + timedelta(days=2))]),  # first announced for two days later...
            rallies([("rl-a", "PTI", T0)]).with_columns(pl.col("announced_at") + timedelta(days=6)),  # ...moved
        ]
    )
    given = streams(
        [{"stream_id": "v1", "started_at": T0 + timedelta(hours=1)}, {"stream_id": "up", "started_at": None}]
    )
    assert linked(given, held) == {"v1": ("rl-a", "nearest"), "up": (None, None)}


def test_a_stream_is_measured_by_the_same_definitions_as_a_space():
    # Five PTI streams an hour apart, 60 minutes each; peaks 100, 300, 200, 400, 1000.
    peaks = [100, 300, 200, 400, 1000]
    rows = [
        {
            "stream_id": f"v{i}",
            "started_at": T0 + timedelta(hours=i),
            "ended_at": T0 + timedelta(hours=i, minutes=60),
            "peak_viewers": peak,
            "avg_viewers": peak / 2,
        }
        for i, peak in enumerate(peaks)
    ]
    measured = stream_metrics(streams(rows), rallies([]))
    assert measured["duration_min"].to_list() == [60.0] * 5
    assert measured["viewer_minutes"].to_list() == [3000.0, 9000.0, 6000.0, 12000.0, 30000.0]  # avg × 60
    # Against the best earlier peak: none, 100, 300, 300, 400.
    assert measured["record_multiple"].to_list() == [None, 3.0, 200 / 300, 400 / 300, 2.5]
    assert measured["is_record"].to_list() == [True, True, False, True, True]
    # The fifth has four earlier streams: drop floor(4/4) = 1 lowest (100) and highest (400): mean(300, 200) = 250.
    assert measured["benchmark_viewers"].to_list() == [None, None, None, None, 250.0]
    assert measured["overperforming"].to_list() == [None, None, None, None, 4.0]
    assert measured["rally_link"].to_list() == [None] * 5

    # The same numbers as Spaces (total_listeners as the figure) give the same record and benchmark columns.
    as_spaces = pl.DataFrame(
        [
            {
                "space_id": r["stream_id"],
                "party": "PTI",
                "host": "h",
                "started_at": r["started_at"],
                "ended_at": r["ended_at"],
                "total_listeners": r["peak_viewers"],
                "avg_listeners": r["avg_viewers"],
            }
            for r in rows
        ],
        schema=SPACES.schema,
    )
    spaces = space_metrics(as_spaces)
    columns = ["record_multiple", "is_record", "overperforming"]
    assert_frame_equal(spaces.select(columns), measured.select(columns))
    assert spaces["listener_minutes"].to_list() == measured["viewer_minutes"].to_list()


def test_the_stream_records_are_the_peaks_that_beat_every_earlier_one_with_the_record_each_broke():
    peaks = [100, 300, 200, 400, 1000]  # as above: v0, v1, v3 and v4 set records, v2 does not
    rows = [
        {"stream_id": f"v{i}", "started_at": T0 + timedelta(hours=i), "peak_viewers": p} for i, p in enumerate(peaks)
    ]
    records = stream_records(stream_metrics(streams(rows), rallies([])))
    assert records.select("stream_id", "peak_viewers", "previous_record").rows() == [
        ("v0", 100, None),
        ("v1", 300, 100),
        ("v3", 400, 300),
        ("v4", 1000, 400),
    ]


def test_an_upcoming_stream_has_no_figures_and_does_not_break_the_record_or_benchmark():
    given = streams(
        [
            {"stream_id": "up", "started_at": None},
            {"stream_id": "v1", "started_at": T0, "peak_viewers": 50},
        ]
    )
    measured = stream_metrics(given, rallies([]))
    assert measured["stream_id"].to_list() == ["v1", "up"]  # started first, the upcoming one last
    assert measured["is_record"].to_list() == [True, None]
    assert measured["record_multiple"].to_list() == [None, None]


def test_empty_peak_and_average_come_from_the_samples_and_stored_values_win():
    given = streams(
        [
            {"stream_id": "a", "started_at": T0},
            {"stream_id": "b", "started_at": T0, "peak_viewers": 500, "avg_viewers": 120.0},
            {"stream_id": "hidden", "started_at": T0},
        ]
    )
    curve = samples(
        [
            ("a", T0, 100),
            ("a", T0 + timedelta(minutes=1), 300),
            ("a", T0 + timedelta(minutes=3), 100),
            ("b", T0, 10),
        ]
    )
    filled = with_tracked_audience(given, curve, *STREAM_AUDIENCE)
    # a: peak 300; trapezoids (100+300)/2 × 60 + (300+100)/2 × 120 = 12000 + 24000 = 36000 over 180 s = 200.
    assert filled.select("stream_id", "peak_viewers", "avg_viewers").rows() == [
        ("a", 300, 200.0),
        ("b", 500, 120.0),
        ("hidden", None, None),
    ]
    assert filled.filter(count_hidden(filled, curve))["stream_id"].to_list() == ["hidden"]


def test_a_rally_shows_its_reported_crowd_beside_its_best_stream():
    held = rallies([("rl-a", "PTI", T0), ("rl-b", "PTI", T0 + timedelta(days=5))]).with_columns(
        pl.Series("reported_attendance", [110_000, None])
    )
    given = streams(
        [
            {"stream_id": "v1", "started_at": T0, "ended_at": T0 + timedelta(minutes=100), "peak_viewers": 200,
             "avg_viewers": 150.0},
            {"stream_id": "v2", "started_at": T0 + timedelta(minutes=30), "ended_at": T0 + timedelta(minutes=90),
             "peak_viewers": 900, "avg_viewers": 400.0},
            {"stream_id": "hidden", "started_at": T0, "rally_id": "rl-a"},
        ]
    )  # fmt: skip
    online = rally_online(held, stream_metrics(given, held))
    assert online.select("rally_id", "reported_attendance", "streams", "online_peak", "online_avg").rows() == [
        ("rl-a", 110_000, 3, 900, 400.0),  # the best stream is v2: its own average, not a mix
        ("rl-b", None, 0, None, None),
    ]
    # 150 × 100 + 400 × 60 = 15000 + 24000 viewer-minutes; the hidden stream adds none.
    assert online["viewer_minutes"].to_list() == [39_000.0, None]


def test_a_stream_is_live_when_started_not_ended_and_recently_sampled():
    now = T0 + timedelta(hours=1)
    given = streams(
        [
            {"stream_id": "live", "started_at": T0},
            {"stream_id": "ended", "started_at": T0, "ended_at": now},
            {"stream_id": "stale", "started_at": T0},  # its newest sample is 15 min and 1 s old
            {"stream_id": "edge", "started_at": T0 + timedelta(minutes=1)},  # exactly 15 min old: live
            {"stream_id": "unsampled", "started_at": T0},
            {"stream_id": "upcoming", "started_at": None},
        ]
    )
    taken = samples(
        [
            ("live", now - timedelta(minutes=10), 50),
            ("live", now - timedelta(minutes=1), 70),
            ("live", now + timedelta(minutes=1), 99),  # after `now`: not yet
            ("ended", now, 10),
            ("stale", now - timedelta(minutes=15, seconds=1), 5),
            ("edge", now - timedelta(minutes=15), 6),
            ("upcoming", now, 1),
        ]
    )
    live = live_streams(given, taken, now)
    assert live.select("stream_id", "viewers_now").rows() == [("edge", 6), ("live", 70)]


def test_spaces_and_streams_on_one_time_axis():
    spaces = pl.DataFrame(
        [{"space_id": "sp-1", "party": "PTI", "host": "Imran <b>", "started_at": T0 - timedelta(hours=22),
          "peak_listeners": 182_000, "avg_listeners": 165_000.0}],
        schema=SPACES.schema,
    )  # fmt: skip
    given = streams(
        [
            {"stream_id": "v1", "channel_title": "PTI", "title": "Jalsa", "started_at": T0, "peak_viewers": 600_000,
             "avg_viewers": 410_000.0},
            {"stream_id": "up", "started_at": None},  # not started: on no time axis
        ]
    )  # fmt: skip
    both = live_audiences(spaces, given)
    assert both.select("platform", "id", "who", "started_at", "peak", "average").rows() == [
        ("X Space", "sp-1", "Imran <b>", T0 - timedelta(hours=22), 182_000, 165_000.0),
        ("YouTube", "v1", "PTI", T0, 600_000, 410_000.0),
    ]
    space_samples = pl.DataFrame(
        {"space_id": ["sp-1", "sp-2"], "at": [T0, T0], "participants": [7, 8]},
        schema={"space_id": pl.String, "at": pl.Datetime("us", "UTC"), "participants": pl.Int64},
    )
    curves = audience_curves(space_samples, samples([("v1", T0, 9), ("v9", T0, 1)]), both, "Asia/Karachi")
    assert curves.rows() == [
        ("X Space", "sp-1", "PTI", "Imran <b> · X Space · 20 Apr", T0, 7),  # 17:00 UTC on the 20th, 22:00 PKT
        ("YouTube", "v1", "PTI", "PTI · YouTube · 21 Apr", T0, 9),
    ]


def test_the_bundled_streams_load_with_their_figures_from_their_samples():
    data = load_data_dir(BUNDLED, "Asia/Karachi")
    stored = pl.read_csv(BUNDLED / "streams.csv")
    assert stored["peak_viewers"].null_count() == stored.height  # empty in the file: filled on load
    figures = {s: (peak, avg is not None) for s, peak, avg in data.streams.select("stream_id", *FIGURES).iter_rows()}
    assert figures["yt-0007"] == (420_000, True)  # the Lahore stream's largest sample (data/generate.py)
    assert figures["yt-0003"] == (None, False)  # its count was hidden throughout: no sample, no figure
    samples = data.stream_samples.filter(pl.col("stream_id") == "yt-0007")
    assert samples["viewers"].max() == 420_000


def test_an_uploaded_streams_file_gets_its_figures_from_the_stored_samples():
    data = load_data_dir(BUNDLED, "Asia/Karachi")
    upload = pl.read_csv(BUNDLED / "streams.csv", try_parse_dates=True).filter(pl.col("stream_id") == "yt-0007")
    viewed = with_uploads(data, {"streams": validate(upload, STREAMS, "streams.csv", 2, "line")})
    assert viewed.streams.select("stream_id", "peak_viewers").rows() == [("yt-0007", 420_000)]
