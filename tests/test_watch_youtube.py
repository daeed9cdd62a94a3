"""`pulse watch` with [youtube] and [[channels]], against the fake YouTube API (and the fake X API when both platforms
are watched at once), on an injected clock: finding, sampling to the end, a restart mid-stream, a spent quota, the
quota plan, and stream_live / stream_record alerts stored and delivered once."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from subprocess import PIPE

import polars as pl
import pytest

from pulse.cli import main
from pulse.connectors.x_api import XClient
from pulse.connectors.youtube import BASE_URL_ENV, KEY_ENV, Quota, YouTubeClient
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.watch import alerts
from pulse.watch.runner import Watcher
from pulse.watch.settings import WatchConfig, read_config, webhooks_from
from pulse.watch.state import read_state, read_status
from tests.conftest import ROOT, utc
from tests.fake_x import FakeSpace, FakeX
from tests.fake_youtube import KEY, PREFIX, FakeStream, Step
from tests.test_watch import HOOK, Clock
from tests.test_x_api import TOKEN
from tests.test_youtube import CHANNEL, VIDEO

T0 = utc(2026, 12, 7, 12, 0)  # 04:00 Pacific time: the quota resets at 08:00 UTC on the 8th
SCRIPT = [
    *(Step("upcoming"), Step("live", 1200), Step("live", 2500), Step("live", 4000)),
    *(Step("live"), Step("live", 1500), Step("ended")),
]


def stream() -> FakeStream:
    return FakeStream(
        VIDEO,
        CHANNEL,
        "Jalsa Lahore",
        list(SCRIPT),
        scheduled_at=T0,
        started_at=T0 + timedelta(minutes=4),
        ended_at=T0 + timedelta(minutes=7),
    )


def config(**changes) -> WatchConfig:
    base = {"sample_every": 30, "streams_every": 300, "channels": ((CHANNEL, "PTI"),), "webhooks": ()}
    return WatchConfig(**(base | changes))


def watcher(httpserver, data, clock, cfg: WatchConfig, lines: list[str], x: bool = False) -> Watcher:
    """A watcher as `pulse watch` makes one (a new one is a restart: it reads the state the last one left)."""
    videos = YouTubeClient(KEY, base_url=httpserver.url_for(PREFIX), quota=Quota(cfg.daily_quota), clock=clock)
    client = XClient(TOKEN, base_url=httpserver.url_for("/2"), clock=clock, sleep=lambda s: None, max_wait_s=0)
    hooks = webhooks_from(cfg, environ={})
    return Watcher(
        cfg, Store(data), client if x else None, hooks, "Asia/Karachi", clock=clock, log=lines.append, youtube=videos
    )


def earlier_stream(data) -> None:
    """A PTI stream of last week that peaked at 3,000 viewers: the record to pass."""
    (data / "streams.csv").write_text(
        "stream_id,platform,party,channel_id,started_at,ended_at,peak_viewers,avg_viewers\n"
        f"lastWeek001,youtube,PTI,{CHANNEL},2026-11-30T12:00:00Z,2026-11-30T14:00:00Z,3000,2000.0\n"
    )


def test_a_channel_going_live_is_sampled_to_its_end_across_a_restart_and_alerts_go_out_once(
    httpserver,
    youtube,
    tmp_path,
):
    youtube.uploads = {CHANNEL: [VIDEO]}
    youtube.streams = [stream()]
    hook = FakeX()
    hook.install(httpserver)
    data = tmp_path / "data"
    data.mkdir()
    earlier_stream(data)
    cfg = config(webhooks=(httpserver.url_for(HOOK),))
    clock, lines = Clock(T0), []
    first = watcher(httpserver, data, clock, cfg, lines)

    first.cycle()  # +0 s: the stream is upcoming, stored with its schedule, not sampled
    upcoming = load_dataset(data, "streams")[0].filter(pl.col("stream_id") == VIDEO).row(0, named=True)
    assert (upcoming["scheduled_at"], upcoming["started_at"]) == (T0, None)
    clock.advance(300)
    first.cycle()  # +300 s: live, found and sampled at once (2,500)
    assert read_status(data, T0 + timedelta(seconds=300)).live_streams == (VIDEO,)
    clock.advance(30)
    first.cycle()  # +330 s: 4,000 passes the party's best peak of 3,000

    second = watcher(httpserver, data, clock, cfg, lines)  # a restart mid-stream
    for _ in range(3):  # +360 s: count hidden, +390 s: 1,500, +420 s: ended
        clock.advance(30)
        second.cycle()

    samples = load_dataset(data, "stream_samples")[0]
    assert samples.rows() == [
        (VIDEO, T0 + timedelta(seconds=300), 2500),
        (VIDEO, T0 + timedelta(seconds=330), 4000),
        (VIDEO, T0 + timedelta(seconds=390), 1500),
    ]
    final = load_dataset(data, "streams")[0].filter(pl.col("stream_id") == VIDEO).row(0, named=True)
    # Peak 4,000; time-weighted: ((2500+4000)/2 × 30 s + (4000+1500)/2 × 60 s) / 90 s = 262,500 / 90
    assert (final["peak_viewers"], final["avg_viewers"]) == (4000, pytest.approx(262_500 / 90))
    assert (final["started_at"], final["ended_at"], final["party"]) == (
        T0 + timedelta(minutes=4),
        T0 + timedelta(minutes=7),
        "PTI",
    )
    assert read_state(data)["stream_tracking"] == {}
    stored = alerts.load_alerts(Store(data)).sort("alert_id")
    assert stored.select("alert_id", "kind", "value", "baseline", "delivered").rows() == [
        (f"stream_live/{VIDEO}", "stream_live", None, None, True),
        (f"stream_record/{VIDEO}/2026-12-07T12:04Z", "stream_record", 4000.0, 3000.0, True),
    ]
    assert stored["message"].to_list() == [
        f'PTI\'s YouTube channel "PTI Official" is live: "Jalsa Lahore" https://www.youtube.com/watch?v={VIDEO}',
        "PTI's YouTube stream \"Jalsa Lahore\" has 4,000 watching now, above the party's best peak of 3,000",
    ]
    assert sorted(body["alert"]["kind"] for body in hook.received) == ["stream_live", "stream_record"]
    # One channels call ever (kept in the state), a look every streams_every, one videos call a sample.
    assert [a.split()[0] for a in youtube.asked].count("channels") == 1
    assert read_state(data)["youtube_quota"] == {"day": "2026-12-07", "spent": 1 + 2 * 2 + 5, "exhausted_until": None}
    assert any(f"stream {VIDEO} ended" in line for line in lines)


def test_a_spent_quota_pauses_youtube_once_keeps_the_samples_and_resumes_after_midnight_pacific(
    httpserver,
    youtube,
    tmp_path,
):
    youtube.uploads = {CHANNEL: [VIDEO]}
    youtube.streams = [stream()]
    youtube.streams[0].lookups = 1  # live from the first look
    youtube.quota_after = 4  # channels, playlistItems, videos, the first sample; then quotaExceeded
    data = tmp_path / "data"
    clock, lines = Clock(T0), []
    w = watcher(httpserver, data, clock, config(), lines)
    w.cycle()  # found live, sampled once (2,500)
    clock.advance(30)
    w.cycle()  # the second sample meets quotaExceeded
    asked = len(youtube.asked)
    for _ in range(5):
        clock.advance(30)
        w.cycle(log_idle=True)
    assert len(youtube.asked) == asked  # nothing asked while the quota is spent
    said = [line for line in lines if "quota is spent" in line]
    assert len(said) == 1 and "nothing more until 2026-12-08 08:00 UTC" in said[0]
    assert load_dataset(data, "stream_samples")[0]["viewers"].to_list() == [2500]

    youtube.quota_after = None
    youtube.streams[0].lookups = len(SCRIPT) - 1  # it ended while we could not look
    clock.t = utc(2026, 12, 8, 8, 0, 1).timestamp()
    w.cycle()
    final = load_dataset(data, "streams")[0].row(0, named=True)
    assert (final["peak_viewers"], final["avg_viewers"], final["ended_at"]) == (2500, 2500.0, T0 + timedelta(minutes=7))
    assert read_state(data)["youtube_quota"]["day"] == "2026-12-08"


def test_watch_with_x_and_youtube_at_once_samples_a_space_and_a_stream(httpserver, youtube, tmp_path, monkeypatch):
    space = FakeSpace("1LyxBgkXXMpGN", "1001", "ImranKhanPTI", "Space tonight", T0, [100, 300])
    fake_x = FakeX(users={"imrankhanpti": "1001"}, spaces=[space])
    fake_x.install(httpserver)
    youtube.uploads = {CHANNEL: [VIDEO]}
    youtube.streams = [stream()]
    youtube.streams[0].lookups = 1
    toml = tmp_path / "watch.toml"
    toml.write_text(
        f'[watch]\nsample_every = "30s"\n\n[x]\nbase_url = "{httpserver.url_for("/2")}"\n\n'
        f'[youtube]\nbase_url = "{httpserver.url_for(PREFIX)}"\ndaily_quota = 10000\nstreams_every = "5m"\n\n'
        f'[[hosts]]\nuser = "ImranKhanPTI"\nparty = "PTI"\n\n[[channels]]\nid = "{CHANNEL}"\nparty = "PTI"\n'
    )
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.delenv(BASE_URL_ENV, raising=False)
    monkeypatch.delenv("X_API_BASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    assert main(["watch", "--config", str(toml), "--data", str(data), "--once"]) == 0
    assert load_dataset(data, "space_samples")[0]["participants"].to_list() == [100]
    assert load_dataset(data, "stream_samples")[0]["viewers"].to_list() == [2500]
    assert {job.job for job in read_status(data, T0).jobs} >= {"spaces", "streams"}


def test_a_youtube_only_config_needs_no_x_token(httpserver, youtube, tmp_path, monkeypatch, capsys):
    youtube.uploads = {CHANNEL: []}
    toml = tmp_path / "watch.toml"
    toml.write_text(
        f'[youtube]\nbase_url = "{httpserver.url_for(PREFIX)}"\n\n[[channels]]\nid = "{CHANNEL}"\nparty = "PTI"\n'
    )
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.chdir(tmp_path)
    assert main(["watch", "--config", str(toml), "--data", str(tmp_path / "data"), "--once"]) == 0
    out, err = capsys.readouterr()
    assert "0 hashtag(s), 0 host(s), 1 YouTube channel(s), 0 webhook(s)" in out
    stored = [p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "data").rglob("*") if p.is_file()]
    assert any("youtube_quota" in text for text in stored)  # the state was written, without the key
    assert not [text for text in [out, err, *stored] if KEY.lower() in text.lower()]


def test_the_config_reads_youtube_and_channels_strictly(tmp_path):
    toml = tmp_path / "watch.toml"
    toml.write_text(
        f'[youtube]\ndaily_quota = 5000\nstreams_every = "10m"\n\n[[channels]]\nid = "{CHANNEL}"\nparty = "PTI"\n'
    )
    read = read_config(toml)
    assert (read.channels, read.daily_quota, read.streams_every, read.youtube_base_url) == (
        ((CHANNEL, "PTI"),),
        5000,
        600.0,
        None,
    )


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            '[youtube]\nsearch_every = "1m"\n',
            "youtube.search_every: unknown key (allowed in [youtube]: base_url, daily_quota",
        ),
        ('[[channels]]\nid = "@PTIofficial"\nparty = "PTI"\n', "channels[1].id: not a YouTube channel id"),
        (
            f'[[channels]]\nid = "{CHANNEL}"\nparty = "PTI"\n[[channels]]\nid = "{CHANNEL}"\nparty = "PML-N"\n',
            "listed twice",
        ),
        (f'[[channels]]\nid = "{CHANNEL}"\nparty = "PTI"\nhandle = "x"\n', "channels[1].handle: unknown key"),
        ("[youtube]\ndaily_quota = 0\n", "youtube.daily_quota: must be a whole number of units, 1 or more"),
    ],
)
def test_a_bad_youtube_config_is_refused_naming_the_key(tmp_path, text, why):
    toml = tmp_path / "watch.toml"
    toml.write_text(text)
    with pytest.raises(Exception, match=why.replace("[", r"\[").replace("(", r"\(")):
        read_config(toml)


def test_a_plan_over_the_daily_quota_exits_2_naming_the_shortest_streams_every_that_fits(tmp_path, capsys):
    # 20 channels × 86,400 s / 60 s × 2 = 57,600 units, + 20 × 7,200 s / 30 s = 4,800: 62,400 > 10,000.
    # What fits: 20 × 172,800 / (10,000 − 4,800) = 664.6 s, so 665 s (664 s would plan 10,004.8 units).
    channels = "".join(f'[[channels]]\nid = "UC{n:022d}"\nparty = "PTI"\n' for n in range(20))
    toml = tmp_path / "watch.toml"
    toml.write_text(f'[watch]\nsample_every = "30s"\n[youtube]\nstreams_every = "1m"\n{channels}')
    assert main(["watch", "--config", str(toml), "--data", str(tmp_path / "data"), "--once"]) == 2
    err = capsys.readouterr().err
    assert "youtube.streams_every: 20 channel(s) × 86,400 s / 60 s × 2 calls + 20 × 7,200 s / 30 s of samples = " in err
    assert "62,400 units a day, more than daily_quota 10,000; the shortest streams_every that fits is 665 s" in err
    toml.write_text(f'[watch]\nsample_every = "30s"\n[youtube]\nstreams_every = "665s"\n{channels}')
    assert read_config(toml).streams_every == 665.0


def test_every_job_the_watcher_keeps_has_a_name_on_the_pages():
    from pulse.ui.live import JOB_NAMES
    from pulse.watch.state import JOBS

    assert set(JOB_NAMES) == set(JOBS) and JOB_NAMES["streams"] == "YouTube streams"


def test_a_channel_youtube_does_not_know_keeps_no_other_channel_back(httpserver, youtube, tmp_path):
    unknown = "UCunknownunknownunknown0"
    youtube.uploads = {CHANNEL: [VIDEO]}
    youtube.streams = [stream()]
    youtube.streams[0].lookups = 1
    data, clock, lines = tmp_path / "data", Clock(T0), []
    cfg = config(channels=((unknown, "PML-N"), (CHANNEL, "PTI")))
    report = watcher(httpserver, data, clock, cfg, lines).cycle()
    assert report.errors[0].startswith(f"streams: channel {unknown}: YouTube knows no channel {unknown}")
    assert load_dataset(data, "stream_samples")[0]["viewers"].to_list() == [2500]
    assert read_state(data)["stream_tracking"][VIDEO]["party"] == "PTI"
    (status,) = [s for s in read_status(data, T0).jobs if s.job == "streams"]
    assert status.failures == 1 and unknown in status.last_error


def test_the_watchers_status_names_the_streams_it_samples(httpserver, youtube, tmp_path):
    youtube.uploads = {CHANNEL: [VIDEO]}
    youtube.streams = [stream()]
    youtube.streams[0].lookups = 1
    data, clock = tmp_path / "data", Clock(T0)
    watcher(httpserver, data, clock, config(), []).cycle()
    assert read_status(data, T0).live_streams == (VIDEO,)


def test_a_running_watcher_of_x_and_youtube_stopped_mid_stream_resumes_it_after_a_restart(
    httpserver, youtube, tmp_path
):
    """In real time, as a process: SIGTERM between two samples, then a new watcher samples the stream to its end."""
    space = FakeSpace("1LyxBgkXXMpGN", "1001", "ImranKhanPTI", "Space tonight", T0, [100, 300, 200])
    FakeX(users={"imrankhanpti": "1001"}, spaces=[space]).install(httpserver)
    youtube.uploads = {CHANNEL: [VIDEO]}
    youtube.streams = [stream()]
    youtube.streams[0].lookups = 1  # live: 1,200 at the first look, then 2,500, 4,000, hidden, 1,500, ended
    toml, data = tmp_path / "watch.toml", tmp_path / "data"
    toml.write_text(
        '[watch]\nsample_every = "5s"\nspaces_every = "1h"\n[youtube]\nstreams_every = "1h"\n'
        f'[[hosts]]\nuser = "ImranKhanPTI"\nparty = "PTI"\n[[channels]]\nid = "{CHANNEL}"\nparty = "PTI"\n'
    )
    env = {
        **os.environ,
        "X_BEARER_TOKEN": TOKEN,
        "X_API_BASE_URL": httpserver.url_for("/2"),
        KEY_ENV: KEY,
        BASE_URL_ENV: httpserver.url_for(PREFIX),
    }
    command = [sys.executable, "-m", "pulse", "watch", "--config", str(toml), "--data", str(data)]

    def viewers() -> list[int]:
        loaded = load_dataset(data, "stream_samples") if data.is_dir() else None
        return loaded[0]["viewers"].to_list() if loaded else []

    def wait_for(condition, what: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while not condition():
            assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
            time.sleep(0.1)

    first = subprocess.Popen(command, cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE, text=True)
    try:
        wait_for(lambda: len(viewers()) == 2 or first.poll() is not None, "two samples")
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=30)
    finally:
        first.kill()
    assert first.returncode == 0, err
    assert "stopped by a signal; every write is complete" in out and KEY not in out + err

    second = subprocess.Popen(command, cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE, text=True)
    try:
        # After the restart: a hidden count (no sample), 1,500, then the end.
        wait_for(lambda: read_state(data).get("stream_tracking") == {}, "the stream's end")
        second.send_signal(signal.SIGTERM)
        out, err = second.communicate(timeout=30)
    finally:
        second.kill()
    assert second.returncode == 0, err
    assert viewers() == [2500, 4000, 1500]
    final = load_dataset(data, "streams")[0].row(0, named=True)
    assert (final["peak_viewers"], final["ended_at"]) == (4000, T0 + timedelta(minutes=7))
    assert load_dataset(data, "space_samples")[0]["participants"].to_list()[:1] == [100]
