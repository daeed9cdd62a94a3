"""`python -m pulse fetch-youtube streams` and `track-stream` against the fake YouTube API (tests/fake_youtube.py):
what is stored, a restart that goes on sampling, a rejected key and a spent quota, and the key nowhere."""

import logging
from datetime import timedelta
from urllib.parse import quote, quote_plus

import polars as pl
import pytest

from pulse import cli_youtube
from pulse.cli import main
from pulse.connectors.youtube import BASE_URL_ENV, KEY_ENV, YouTubeClient
from pulse.data.load import load_dataset
from pulse.data.store import Store
from tests.fake_youtube import KEY, PREFIX, FakeStream, Step
from tests.test_youtube import CHANNEL, T0, VIDEO, rally_stream

OTHER = "UCzyxwvutsrqponmlkjihgfe"


@pytest.fixture
def env(httpserver, youtube, monkeypatch, tmp_path):
    """The key and the fake's address in the environment; each poll 30 s after the one before (the fake's count of
    requests is the clock), so time-weighted averages are exact."""
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(BASE_URL_ENV, httpserver.url_for(PREFIX))
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml of the developer's
    monkeypatch.setattr(YouTubeClient, "now", lambda self: T0 + timedelta(seconds=30 * len(youtube.asked)))
    monkeypatch.setattr(cli_youtube, "_wait", lambda seconds: None)
    return youtube


def stored(data, name: str) -> pl.DataFrame:
    loaded = load_dataset(Store(data), name)
    return loaded[0] if loaded else pl.DataFrame()


def test_fetch_videos_stores_the_streams_and_says_what_it_left_out(env, tmp_path, capsys):
    env.streams = [rally_stream([Step("live", 900)])]
    data = tmp_path / "data"
    code = main(
        [
            "fetch-youtube",
            "streams",
            "--videos",
            f"https://youtu.be/{VIDEO}",
            "plainclip01",
            "--party",
            "PTI",
            "--data",
            str(data),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Not live streams, not saved: plainclip01" in out
    assert "Fetched 1 stream(s): 1 live, 0 upcoming, 0 ended." in out
    assert "streams: 1 added, 0 updated, 0 unchanged" in out
    assert "YouTube quota: 1 unit(s) spent by this command." in out
    row = stored(data, "streams").row(0, named=True)
    assert (row["stream_id"], row["party"], row["channel_id"], row["started_at"], row["ended_at"]) == (
        VIDEO,
        "PTI",
        CHANNEL,
        T0 + timedelta(minutes=3),
        None,
    )
    assert env.asked == [f"videos {VIDEO},plainclip01"]
    audit = stored(data, "audit").filter(pl.col("dataset") == "streams")
    assert audit.select("action", "source").rows() == [("fetch-youtube", "youtube-api")]


def test_fetch_channels_takes_live_and_upcoming_streams_over_every_page(env, tmp_path, capsys):
    upcoming = FakeStream("upcoming001", OTHER, "Tomorrow", [Step("upcoming")], scheduled_at=T0 + timedelta(days=1))
    env.streams = [rally_stream([Step("live", 500)]), upcoming]
    env.uploads = {CHANNEL: ["oldclip0001", VIDEO, "oldclip0002"], OTHER: ["upcoming001"]}
    env.page_size = 2
    data = tmp_path / "data"
    assert main(["fetch-youtube", "streams", "--channels", CHANNEL, OTHER, "--party", "PTI", "--data", str(data)]) == 0
    assert "Fetched 2 stream(s): 1 live, 1 upcoming, 0 ended." in capsys.readouterr().out
    streams = stored(data, "streams").sort("stream_id")
    assert streams.select("stream_id", "scheduled_at", "started_at").rows() == [
        (VIDEO, T0, T0 + timedelta(minutes=3)),
        ("upcoming001", T0 + timedelta(days=1), None),
    ]
    assert [a.split()[0] for a in env.asked] == [
        *("channels", "playlistItems", "playlistItems", "channels", "playlistItems", "videos")
    ]


def test_track_stream_samples_until_it_ends_then_stores_its_peak_and_time_weighted_average(env, tmp_path, capsys):
    env.streams = [rally_stream([Step("live", 1200), Step("live", 5400), Step("live", 2100), Step("ended")])]
    data = tmp_path / "data"
    assert main(["track-stream", VIDEO, "--every", "30s", "--party", "PTI", "--data", str(data)]) == 0
    out = capsys.readouterr().out
    samples = stored(data, "stream_samples")
    assert samples["viewers"].to_list() == [1200, 5400, 2100]
    assert samples["at"].diff().drop_nulls().to_list() == [timedelta(seconds=30)] * 2
    row = stored(data, "streams").row(0, named=True)
    # Trapezoids over 60 s: ((1200 + 5400) / 2 × 30 + (5400 + 2100) / 2 × 30) / 60 = 3525
    assert (row["peak_viewers"], row["avg_viewers"], row["ended_at"]) == (5400, 3525.0, T0 + timedelta(hours=2))
    assert "The stream has ended. 3 sample(s) stored by this run; peak 5,400, average 3,525.0 viewers." in out


def test_a_restarted_track_stream_goes_on_sampling_and_figures_cover_both_runs(env, tmp_path, monkeypatch, capsys):
    env.streams = [rally_stream([Step("live", 1200), Step("live", 5400), Step("live", 2100), Step("ended")])]
    data = tmp_path / "data"

    def interrupt(seconds: float) -> None:
        if len(env.asked) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli_youtube, "_wait", interrupt)
    assert main(["track-stream", VIDEO, "--party", "PTI", "--data", str(data)]) == 0
    assert "Stopped. 2 sample(s) stored by this run; peak 5,400, average 3,300.0 viewers." in capsys.readouterr().out
    # The second run needs no --party: the stream is stored with its party.
    assert main(["track-stream", VIDEO, "--data", str(data)]) == 0
    assert "1 sample(s) stored by this run; peak 5,400, average 3,525.0 viewers." in capsys.readouterr().out
    assert stored(data, "stream_samples")["viewers"].to_list() == [1200, 5400, 2100]


def test_a_count_hidden_throughout_keeps_empty_figures(env, tmp_path, capsys):
    env.streams = [rally_stream([Step("live"), Step("live"), Step("ended")])]
    data = tmp_path / "data"
    assert main(["track-stream", VIDEO, "--party", "PTI", "--data", str(data)]) == 0
    assert "no viewer count stored (hidden by the channel" in capsys.readouterr().out
    row = stored(data, "streams").row(0, named=True)
    assert (row["peak_viewers"], row["avg_viewers"]) == (None, None) and row["ended_at"] is not None
    assert Store(data).path("stream_samples") is None


def test_track_stream_of_an_unstored_stream_needs_a_party_before_any_request(env, tmp_path, capsys):
    assert main(["track-stream", VIDEO, "--data", str(tmp_path / "data")]) == 2
    assert "not stored yet: say whose it is with --party P" in capsys.readouterr().err
    assert env.asked == []


def test_an_invalid_key_exits_2_with_a_message(env, tmp_path, monkeypatch, capsys):
    wrong = "AIzaSyWRONG-key_0123456789abcdefghijkl"
    monkeypatch.setenv(KEY_ENV, wrong)
    code = main(["fetch-youtube", "streams", "--videos", VIDEO, "--party", "PTI", "--data", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: YouTube rejected the API key (HTTP 400: API key not valid.") and KEY_ENV in err
    assert "Traceback" not in err and wrong not in err


def test_a_quota_spent_while_tracking_keeps_the_samples_and_figures_so_far(env, tmp_path, capsys):
    env.streams = [rally_stream([Step("live", 1200), Step("live", 5400), Step("live", 2100), Step("ended")])]
    env.quota_after = 2
    data = tmp_path / "data"
    assert main(["track-stream", VIDEO, "--party", "PTI", "--data", str(data)]) == 2
    out, err = capsys.readouterr()
    assert "Stopped by an error. 2 sample(s) stored by this run; peak 5,400, average 3,300.0 viewers." in out
    assert "quota is spent; nothing more until 2026-12-08 08:00 UTC" in err
    assert stored(data, "stream_samples")["viewers"].to_list() == [1200, 5400]


def test_a_quota_spent_part_way_exits_2_and_stores_nothing(env, tmp_path, capsys):
    env.uploads = {CHANNEL: [VIDEO]}
    env.streams = [rally_stream([Step("live", 500)])]
    env.quota_after = 2  # channels and playlistItems answered, videos refused
    data = tmp_path / "data"
    assert main(["fetch-youtube", "streams", "--channels", CHANNEL, "--party", "PTI", "--data", str(data)]) == 2
    assert "quota is spent; nothing more until 2026-12-08 08:00 UTC" in capsys.readouterr().err
    assert Store(data).path("streams") is None


def test_no_missing_key_or_key_in_any_output_log_or_stored_file(env, tmp_path, monkeypatch, capsys, caplog):
    env.streams = [rally_stream([Step("live", 1200), Step("live", 700), Step("ended")])]
    env.uploads = {CHANNEL: [VIDEO]}
    data = tmp_path / "data"
    caplog.set_level(logging.DEBUG)
    main(["fetch-youtube", "streams", "--channels", CHANNEL, "--party", "PTI", "--data", str(data)])
    main(["track-stream", VIDEO, "--data", str(data)])
    monkeypatch.setenv(KEY_ENV, KEY.lower())  # a rejected key too: its message
    main(["fetch-youtube", "streams", "--videos", VIDEO, "--party", "PTI", "--data", str(data)])
    out, err = capsys.readouterr()
    assert stored(data, "stream_samples")["viewers"].to_list() == [700]  # the commands did run (fetch saw 1,200)
    forms = {KEY, KEY.lower(), quote(KEY), quote_plus(KEY)}
    texts = [out, err, caplog.text] + [
        p.read_bytes().decode("utf-8", "replace") for p in data.rglob("*") if p.is_file()
    ]
    assert not [f for f in forms for text in texts if f.lower() in text.lower()]
    assert KEY in env.keys_seen  # sent, in its header only
