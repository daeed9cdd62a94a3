"""`pulse watch` against a local fake X API and webhook (tests/fake_x.py), on an injected clock."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from subprocess import PIPE

import polars as pl
import pytest

from pulse.cli import main
from pulse.connectors.x_api import XClient
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.errors import PulseError
from pulse.watch import alerts, rules
from pulse.watch.lock import WatchLock
from pulse.watch.runner import Shutdown, Stopping, Watcher
from pulse.watch.settings import WatchConfig, read_config, webhooks_from
from pulse.watch.state import JobStatus, read_state, read_status, state_path
from tests.conftest import ROOT, utc
from tests.fake_x import FakeSpace, FakeX
from tests.test_x_api import TOKEN

T0 = utc(2024, 2, 1, 17, 10)  # the last complete hour is 16:00-17:00
SPACE_ID = "1LyxBgkXXMpGN"
HOOK = "/hook/T0/B0/secret-path"


class Clock:
    """An injected clock the test moves on by hand."""

    def __init__(self, at: datetime):
        self.t = at.timestamp()

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def make_watcher(httpserver, data: Path, clock: Clock, config: WatchConfig, lines: list[str]) -> Watcher:
    """A watcher as `pulse watch` makes one (a new one is a restart: it reads the state the last one left)."""
    client = XClient(TOKEN, base_url=httpserver.url_for("/2"), clock=clock, sleep=lambda s: None, max_wait_s=0)
    webhooks = webhooks_from(config, environ={})
    return Watcher(config, Store(data), client, webhooks, "Asia/Karachi", clock=clock, log=lines.append)


def test_a_space_that_goes_live_later_is_found_sampled_to_its_end_and_stored_with_its_figures(httpserver, tmp_path):
    space = FakeSpace(
        SPACE_ID, "1001", "ImranKhanPTI", "Jalsa tonight", utc(2024, 2, 1, 17, 12), [100, 300, 200], hidden_lookups=2
    )
    space.ended_at = utc(2024, 2, 1, 17, 16)
    fake = FakeX(users={"imrankhanpti": "1001"}, spaces=[space])
    fake.install(httpserver)
    config = WatchConfig(spaces_every=120, sample_every=30, hosts=(("ImranKhanPTI", "PTI"),))
    clock, lines = Clock(T0), []
    watcher = make_watcher(httpserver, tmp_path, clock, config, lines)

    # Lookups at +0 s and +120 s find nothing; the one at +240 s finds the Space live and samples it at once.
    for _ in range(9):  # +0 ... +240 s
        watcher.cycle()
        clock.advance(30)
    assert fake.asked.count("creators 1001") == 3
    assert read_state(tmp_path)["tracking"] == {
        SPACE_ID: {"next": (T0 + timedelta(seconds=270)).timestamp(), "failures": 0}
    }
    assert read_status(tmp_path, T0 + timedelta(seconds=250)).live == (SPACE_ID,)

    # A restart between two samples resumes sampling the Space, and resolves no username again.
    watcher = make_watcher(httpserver, tmp_path, clock, config, lines)
    for _ in range(3):  # +270 s: 300 listeners, +300 s: 200, +330 s: ended
        watcher.cycle()
        clock.advance(30)

    samples = load_dataset(tmp_path, "space_samples")[0]
    assert samples.rows() == [
        (SPACE_ID, T0 + timedelta(seconds=240), 100),
        (SPACE_ID, T0 + timedelta(seconds=270), 300),
        (SPACE_ID, T0 + timedelta(seconds=300), 200),
    ]
    stored = load_dataset(tmp_path, "spaces")[0].row(0, named=True)
    assert (stored["space_id"], stored["party"], stored["host"], stored["title"]) == (
        SPACE_ID,
        "PTI",
        "ImranKhanPTI",
        "Jalsa tonight",
    )
    assert (stored["started_at"], stored["ended_at"]) == (utc(2024, 2, 1, 17, 12), utc(2024, 2, 1, 17, 16))
    # Peak 300; time-weighted: ((100+300)/2 × 30 s + (300+200)/2 × 30 s) / 60 s = 225.
    assert (stored["peak_listeners"], stored["avg_listeners"], stored["total_listeners"]) == (300, 225.0, None)
    assert fake.asked.count("users ImranKhanPTI") == 1
    assert read_state(tmp_path)["tracking"] == {}
    assert any(f"Space {SPACE_ID} ended" in line for line in lines)
    assert all(TOKEN not in line for line in lines)


# 12 hours from 04:00 to 15:00 with mean 10 and population standard deviation √2, then 150 at 16:00.
BEFORE = [10, 12, 8, 10, 10, 12, 8, 10, 10, 12, 8, 10]


def spiky_counts() -> dict:
    hours = {("imrankhan", utc(2024, 2, 1, 4 + i)): n for i, n in enumerate(BEFORE)}
    return {**hours, ("imrankhan", utc(2024, 2, 1, 16)): 150, ("pmln", utc(2024, 2, 1, 16)): 99}


def test_a_spike_is_one_alert_delivered_once_across_a_restart_and_a_webhook_that_fails_twice(httpserver, tmp_path):
    fake = FakeX(counts=spiky_counts(), hook_failures=2)
    fake.install(httpserver)
    hook = httpserver.url_for(HOOK)
    config = WatchConfig(hashtags=(("ImranKhan", "PTI"), ("PMLN", "PML-N")), webhooks=(hook,))
    clock, lines = Clock(T0), []
    watcher = make_watcher(httpserver, tmp_path, clock, config, lines)

    watcher.cycle()
    # Nothing stored: 7 days back, from the first whole hour X still serves to the last complete hour.
    assert fake.asked[:2] == ["counts imrankhan 25 18:00-01 17:00", "counts pmln 25 18:00-01 17:00"]
    stored = load_dataset(tmp_path, "hashtags")[0]
    assert stored.height == 2 * 167
    [alert] = alerts.load_alerts(Store(tmp_path)).rows(named=True)
    assert alert["alert_id"] == "spike/imrankhan/PTI/2024-02-01T16:00Z"
    assert (alert["kind"], alert["party"], alert["value"], alert["baseline"]) == ("spike", "PTI", 150.0, 10.0)
    assert alert["message"] == (
        "#ImranKhan spiked: 150 tweets in the hour from 1 Feb 2024 21:00 PKT (PTI), "
        "against 10 an hour in the 12 hours before (threshold 14)"
    )
    assert (alert["delivered"], alert["attempts"], alert["retry_at"]) == (False, 1, T0 + timedelta(seconds=30))
    failed = (
        "could not post to webhook 1 (localhost): HTTP 500 Internal Server Error: the server failed; try again later"
    )
    assert alert["error"] == failed
    # The dashboard sees delivery failing since this first try (it runs every cycle: 30 s is its interval).
    sending = read_status(tmp_path, T0).jobs[-1]
    assert sending == JobStatus("delivery", 30.0, 1, None, f"alert {alert['alert_id']}: {failed}", T0, T0, None)
    assert not sending.failing(T0 + timedelta(seconds=59)) and sending.failing(T0 + timedelta(seconds=60))
    assert not any("secret-path" in line for line in lines)

    clock.advance(29)
    watcher.cycle()  # not yet due again
    assert alerts.load_alerts(Store(tmp_path))["attempts"].to_list() == [1]
    clock.advance(1)
    watcher.cycle()  # the second failure: next try 60 s later
    assert alerts.load_alerts(Store(tmp_path)).select("attempts", "retry_at").row(0) == (
        2,
        T0 + timedelta(seconds=90),
    )

    watcher = make_watcher(httpserver, tmp_path, clock, config, lines)  # a restart
    clock.advance(60)
    watcher.cycle()
    clock.advance(900)  # counts due again, same last complete hour: the same spike, not a new alert
    watcher.cycle()
    watcher = make_watcher(httpserver, tmp_path, clock, config, lines)
    watcher.cycle()

    assert len(fake.received) == 1
    body = fake.received[0]
    assert body["text"] == alert["message"]
    assert body["alert"] == {
        "alert_id": "spike/imrankhan/PTI/2024-02-01T16:00Z",
        "raised_at": "2024-02-01T17:10:00Z",
        "kind": "spike",
        "party": "PTI",
        "subject": "#ImranKhan 1 Feb 2024 21:00 PKT",
        "value": 150.0,
        "baseline": 10.0,
        "message": alert["message"],
        "delivered": False,  # as it stood when it was sent
        "error": failed,
    }
    final = alerts.load_alerts(Store(tmp_path)).row(0, named=True)
    assert (final["delivered"], final["error"], final["attempts"]) == (True, None, 2)
    sent_at = T0 + timedelta(seconds=90)  # the third try, the first after the restart
    assert read_status(tmp_path, sent_at).jobs[-1] == JobStatus(
        "delivery", 30.0, 0, sent_at, f"alert {alert['alert_id']}: {failed}", T0 + timedelta(seconds=30), None, None
    )
    assert final["delivered_to"] == webhooks_from(config, {})[0].fingerprint
    # PMLN's 99 tweets at 16:00 are above its flat zero baseline but under spike_min_tweets: no alert.
    assert alerts.load_alerts(Store(tmp_path)).height == 1


def test_a_restart_fetches_from_the_hour_after_the_last_stored_one(httpserver, tmp_path):
    fake = FakeX(counts=spiky_counts())
    fake.install(httpserver)
    config = WatchConfig(hashtags=(("ImranKhan", "PTI"),))
    clock = Clock(T0)
    make_watcher(httpserver, tmp_path, clock, config, []).cycle()
    clock.advance(3 * 3600)  # 20:10: three more complete hours
    make_watcher(httpserver, tmp_path, clock, config, []).cycle()

    assert fake.asked == ["counts imrankhan 25 18:00-01 17:00", "counts imrankhan 01 17:00-01 20:00"]
    hours = load_dataset(tmp_path, "hashtags")[0]["period_start"]
    assert hours.is_unique().all() and hours.len() == 170
    assert (hours.min(), hours.max()) == (utc(2024, 1, 25, 18), utc(2024, 2, 1, 19))


def test_a_gap_longer_than_seven_days_restarts_seven_days_back(httpserver, tmp_path):
    fake = FakeX(counts=spiky_counts())
    fake.install(httpserver)
    config = WatchConfig(hashtags=(("ImranKhan", "PTI"),))
    (tmp_path / "hashtags.csv").write_text("hashtag,party,period_start,tweets\nImranKhan,PTI,2024-01-02T05:00:00Z,3\n")
    make_watcher(httpserver, tmp_path, Clock(T0), config, []).cycle()
    assert fake.asked == ["counts imrankhan 25 18:00-01 17:00"]


SPACES = (
    "space_id,party,host,title,started_at,ended_at,total_listeners,peak_listeners,avg_listeners\n"
    "old1,PTI,a,,2024-01-01T10:00:00Z,2024-01-01T11:00:00Z,1000,800,500\n"
    "old2,PML-N,b,,2024-01-02T10:00:00Z,2024-01-02T11:00:00Z,5000,,\n"
    "later,PML-N,b,,2024-03-01T10:00:00Z,,90000,,\n"
    "live,PTI,ImranKhanPTI,Jalsa,2024-02-01T17:00:00Z,,,,\n"
    "new,PPP,c,,2024-02-01T17:00:00Z,,,,\n"
)


def test_space_records_beat_the_party_best_then_the_best_of_any_party(tmp_path):
    (tmp_path / "spaces.csv").write_text(SPACES)
    spaces = load_dataset(tmp_path, "spaces")[0]

    def records(live: int, ppp: int) -> list[tuple]:
        frame = pl.DataFrame({"space_id": ["live", "new"], "participants": [live, ppp]})
        found = rules.space_record_alerts(frame, spaces, T0)
        return found.select("alert_id", "party", "value", "baseline").rows()

    # 1,000 is PTI's best (a total above its peak); it is not passed by 1,000, only by more.
    assert records(1000, 10) == []
    assert records(1001, 10) == [("space_record/party/live/2024-02-01T17:00Z", "PTI", 1001.0, 1000.0)]
    # The best of any party is 5,000 (a later Space's 90,000 is not an earlier record); PPP has no earlier Space.
    assert records(5001, 5001) == [
        ("space_record/party/live/2024-02-01T17:00Z", "PTI", 5001.0, 1000.0),
        ("space_record/all/live/2024-02-01T17:00Z", "PTI", 5001.0, 5000.0),
        ("space_record/all/new/2024-02-01T17:00Z", "PPP", 5001.0, 5000.0),
    ]
    message = rules.space_record_alerts(pl.DataFrame({"space_id": ["live"], "participants": [6000]}), spaces, T0)
    assert message["message"].to_list() == [
        "PTI's Space \"Jalsa\" by ImranKhanPTI has 6,000 listeners now, above PTI's record of 1,000",
        'PTI\'s Space "Jalsa" by ImranKhanPTI has 6,000 listeners now, above the all-time record of 5,000',
    ]


RALLIES = "rally_id,party,city,announced_at,starts_at\nlhr,PTI,Lahore,2024-01-20T10:00:00Z,2024-02-10T14:00:00Z\n"


def test_a_new_or_moved_rally_is_an_alert_by_any_route_and_text_from_the_data_cannot_ping_the_chat(
    httpserver, tmp_path
):
    fake = FakeX(hook_failures=2)  # both news fail to go out at first
    fake.install(httpserver)
    (tmp_path / "rallies.csv").write_text(RALLIES)
    config = WatchConfig(webhooks=(httpserver.url_for(HOOK),))
    clock = Clock(T0)
    watcher = make_watcher(httpserver, tmp_path, clock, config, [])
    watcher.cycle()
    assert alerts.load_alerts(Store(tmp_path)).is_empty()  # what was there when the watcher started is not news

    # A file edited by hand: the rally moved to another day, and a new one whose city is a chat command.
    (tmp_path / "rallies.csv").write_text(
        RALLIES
        + "lhr,PTI,Lahore,2024-02-01T12:00:00Z,2024-02-11T14:00:00Z\n"
        + "isb,PML-N,<!channel> & co,2024-02-01T13:00:00Z,2024-02-12T14:00:00Z\n"
    )
    clock.advance(30)
    watcher.cycle()
    # Delivery's error names the first alert that did not go out, and how many more did not.
    assert read_status(tmp_path, T0 + timedelta(seconds=30)).jobs[-1].last_error == (
        "alert rally/isb/2024-02-01T13:00Z/<!channel> & co/2024-02-12T14:00Z: could not post to webhook 1 "
        "(localhost): HTTP 500 Internal Server Error: the server failed; try again later (and 1 more alert(s) not sent)"
    )
    clock.advance(30)
    watcher.cycle()

    stored = alerts.load_alerts(Store(tmp_path)).sort("alert_id")
    assert stored.select("alert_id", "subject", "message").rows() == [
        (
            "rally/isb/2024-02-01T13:00Z/<!channel> & co/2024-02-12T14:00Z",
            "isb",
            "PML-N rally isb: <!channel> & co, 12 Feb 2024 19:00 PKT (announced)",
        ),
        (
            "rally/lhr/2024-02-01T12:00Z/Lahore/2024-02-11T14:00Z",
            "lhr",
            "PTI rally lhr: Lahore, 11 Feb 2024 19:00 PKT (moved from Lahore, 10 Feb 2024 19:00 PKT)",
        ),
    ]
    texts = sorted(body["text"] for body in fake.received)
    assert texts[0] == "PML-N rally isb: &lt;!channel&gt; &amp; co, 12 Feb 2024 19:00 PKT (announced)"
    assert len(texts) == 2 and stored["delivered"].to_list() == [True, True]


def test_the_config_takes_exactly_the_documented_keys(tmp_path):
    path = tmp_path / "watch.toml"
    path.write_text(
        '[x]\nbase_url = "http://127.0.0.1:9/2"\n[watch]\ncounts_every = "15m"\nspaces_every = "2m"\n'
        'sample_every = "30s"\n[[hashtags]]\ntag = "#ImranKhan"\nparty = "PTI"\n[[hosts]]\nuser = "@ImranKhanPTI"\n'
        'party = "PTI"\n[alerts]\nwebhooks = ["https://hooks.example/T/B/x"]\n'
        "spike_sigma = 2.5\nspike_min_tweets = 50\n"
    )
    config = read_config(path)
    assert config == WatchConfig(
        counts_every=900.0,
        spaces_every=120.0,
        sample_every=30.0,
        hashtags=(("ImranKhan", "PTI"),),
        hosts=(("ImranKhanPTI", "PTI"),),
        webhooks=("https://hooks.example/T/B/x",),
        spike_sigma=2.5,
        spike_min_tweets=50,
        base_url="http://127.0.0.1:9/2",
    )
    assert "hooks.example" not in repr(config)
    both = webhooks_from(config, {"PULSE_WEBHOOK_URLS": "https://chat.example/hook/abc, https://hooks.example/T/B/x"})
    assert [w.label for w in both] == ["webhook 1 (hooks.example)", "webhook 2 (chat.example)"]


def test_the_example_config_in_docs_is_valid():
    config = read_config(ROOT / "docs" / "watch.toml.example")
    assert (config.hashtags, config.hosts, config.webhooks) == ((("ImranKhan", "PTI"),), (("ImranKhanPTI", "PTI"),), ())
    assert (config.counts_every, config.spaces_every, config.sample_every) == (900.0, 120.0, 30.0)
    assert (config.channels, config.streams_every, config.daily_quota) == (
        (("UCxxxxxxxxxxxxxxxxxxxxxx", "PTI"),),
        300.0,
        10000,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[watch]\nevery = "1m"\n', "watch.every: unknown key (allowed in [watch]: counts_every, spaces_every"),
        ('[slack]\nurl = "x"\n', "slack: unknown key (allowed: x, watch, hashtags, hosts, alerts, youtube, channels)"),
        ('[[hashtags]]\ntag = "A"\nparty = "P"\ncolour = "red"\n', "hashtags[1].colour: unknown key"),
        ('[[hosts]]\nuser = "a b"\nparty = "P"\n', "hosts[1].user: letters, digits and _ only (got 'a b')"),
        ('[[hosts]]\nuser = "a"\n', "hosts[1]: party is missing"),
        ('[watch]\nsample_every = "1s"\n', "watch.sample_every: at least 5 s (got '1s')"),
        ('[watch]\ncounts_every = "soon"\n', "watch.counts_every: not an interval such as 30s, 2m or 45: 'soon'"),
        ("[alerts]\nspike_min_tweets = -1\n", "alerts.spike_min_tweets: must be a whole number, 0 or more (got -1)"),
        ('[alerts]\nwebhooks = "https://x"\n', "alerts.webhooks: must be a list of URLs"),
        ("[watch\n", "not valid TOML"),
    ],
)
def test_a_bad_config_is_refused_naming_the_file_and_key(tmp_path, text, message):
    path = tmp_path / "watch.toml"
    path.write_text(text)
    with pytest.raises(PulseError, match="watch.toml: ") as caught:
        read_config(path)
    assert message in str(caught.value)


def test_a_webhook_that_is_not_a_url_is_refused_without_showing_it():
    with pytest.raises(PulseError) as caught:
        webhooks_from(WatchConfig(), {"PULSE_WEBHOOK_URLS": "hooks.slack.com/services/T/B/s3cret"})
    assert str(caught.value) == "webhook 1 is not an http(s) URL (the URL is not shown: it is a secret)"


def test_a_second_watcher_is_refused_naming_the_running_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    config = tmp_path / "watch.toml"
    config.write_text("")
    running = WatchLock(tmp_path / "data")
    running.acquire()
    try:
        code = main(["watch", "--config", str(config), "--data", str(tmp_path / "data"), "--once"])
    finally:
        running.release()
    assert code == 2
    assert f"another watcher (PID {os.getpid()}) is already watching {tmp_path / 'data'}" in capsys.readouterr().err


def test_a_signal_during_a_write_lets_it_finish_and_then_stops():
    shutdown = Shutdown()
    finished = []
    with shutdown.installed(), pytest.raises(Stopping), shutdown.writing():
        os.kill(os.getpid(), signal.SIGTERM)
        finished.append("the write")  # reached: the handler did not unwind the write
    assert finished == ["the write"]
    with pytest.raises(Stopping):
        shutdown.sleep(5)  # a stop was requested already: no waiting


def test_the_dashboard_sees_a_watcher_only_while_its_heartbeat_is_fresh(httpserver, tmp_path):
    assert read_status(tmp_path, T0) is None
    clock = Clock(T0)
    watcher = make_watcher(httpserver, tmp_path, clock, WatchConfig(), [])
    watcher.cycle()
    assert read_status(tmp_path, T0 + timedelta(seconds=120)).running
    assert not read_status(tmp_path, T0 + timedelta(seconds=121)).running
    assert watcher.run(once=True) == 0
    status = read_status(tmp_path, T0)
    assert (status.running, status.pid, status.updated_at) == (False, os.getpid(), T0)


def _watch(config: Path, data: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pulse", "watch", "--config", str(config), "--data", str(data), *extra]


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(0.1)


def test_sigterm_mid_cycle_loses_nothing_and_a_second_watcher_is_refused(httpserver, tmp_path):
    fake = FakeX(slow_tags={"slowtag": 8.0})  # long enough for the second watcher to start and be refused
    fake.install(httpserver)
    config, data = tmp_path / "watch.toml", tmp_path / "data"
    config.write_text(
        '[[hashtags]]\ntag = "FastTag"\nparty = "PTI"\n[[hashtags]]\ntag = "SlowTag"\nparty = "PML-N"\n'
        f'[alerts]\nwebhooks = ["{httpserver.url_for(HOOK)}"]\n'
    )
    env = {**os.environ, "X_BEARER_TOKEN": TOKEN, "X_API_BASE_URL": httpserver.url_for("/2")}
    env.pop("PULSE_WEBHOOK_URLS", None)
    first = subprocess.Popen(_watch(config, data), cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE, text=True)
    try:
        # FastTag is stored; SlowTag's request is in flight.
        _wait_for(lambda: any(a.startswith("counts slowtag") for a in fake.asked), 60, "the slow request")

        second = subprocess.run(
            _watch(config, data, "--once"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 2
        assert f"another watcher (PID {first.pid}) is already watching {data}" in second.stderr

        asked_at = time.monotonic()
        first.send_signal(signal.SIGTERM)
        out, err = first.communicate(timeout=10)
        assert time.monotonic() - asked_at < 5
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, err
    assert "stopped by a signal; every write is complete" in out
    assert TOKEN not in out + err and "secret-path" not in out + err
    assert not [p for p in data.rglob("*") if p.name.endswith(".tmp")]
    stored = load_dataset(data, "hashtags")[0]
    assert stored["hashtag"].unique().to_list() == ["FastTag"]  # as the config spells it
    assert stored.height in (167, 168)  # 7 days of whole hours X serves (168 when started on the hour)
    assert read_state(data)["stopped_at"] is not None

    fake.slow_tags.clear()
    again = subprocess.run(
        _watch(config, data, "--once"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.strip().splitlines()) == 2  # "Watching ..." and the cycle's one line
    hours = (
        load_dataset(data, "hashtags")[0]
        .group_by("hashtag")
        .agg(pl.len(), pl.col("period_start").n_unique().alias("distinct"), pl.col("period_start").max().alias("last"))
    )
    last_complete = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    for tag, rows, distinct, last in hours.sort("hashtag").rows():
        assert rows == distinct and rows >= 167, tag
        assert last_complete - timedelta(hours=1) <= last <= last_complete, tag


@pytest.mark.parametrize("env_wins", [False, True])
def test_the_api_root_is_x_api_base_url_else_the_configs(httpserver, tmp_path, monkeypatch, capsys, env_wins):
    FakeX().install(httpserver)
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.delenv("PULSE_WEBHOOK_URLS", raising=False)
    nowhere, here = "http://127.0.0.1:9/2", httpserver.url_for("/2")
    if env_wins:
        monkeypatch.setenv("X_API_BASE_URL", here)
    else:
        monkeypatch.delenv("X_API_BASE_URL", raising=False)
    config = tmp_path / "watch.toml"
    config.write_text(f'[x]\nbase_url = "{nowhere if env_wins else here}"\n[[hashtags]]\ntag = "A"\nparty = "P"\n')

    code = main(["watch", "--config", str(config), "--data", str(tmp_path / "data"), "--once"])

    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "168 hour(s) fetched, 168 added" in out or "167 hour(s) fetched, 167 added" in out
    assert TOKEN not in out + err


def test_a_hand_edited_alerts_file_is_reported_like_any_other(tmp_path):
    (tmp_path / "alerts.csv").write_text(
        "alert_id,raised_at,kind,party,subject,value,baseline,message,delivered,error,delivered_to,attempts,retry_at\n"
        "a,2024-02-01T17:00:00Z,spike,PTI,#x,1,1,m,yes,,,0,\n"
    )
    with pytest.raises(PulseError) as caught:
        alerts.load_alerts(Store(tmp_path))
    assert "alerts.csv, line 2, column 'delivered': value 'yes': not true or false" in str(caught.value)


def test_hosts_are_looked_up_at_most_100_a_request_and_names_resolved_once(httpserver, tmp_path):
    names = [f"host_{n}" for n in range(150)]
    fake = FakeX(users={name: str(1000 + n) for n, name in enumerate(names[:-1])})  # the last one X does not know
    fake.install(httpserver)
    config = WatchConfig(spaces_every=120, hosts=tuple((name, "PTI") for name in names) + (("42", "PPP"),))
    clock, lines = Clock(T0), []
    watcher = make_watcher(httpserver, tmp_path, clock, config, lines)
    watcher.cycle()
    clock.advance(120)
    watcher.cycle()

    asked = [(kind, len(ids.split(","))) for kind, ids in (a.split(" ") for a in fake.asked)]
    first = [("users", 100), ("users", 50), ("creators", 100), ("creators", 50)]
    # The second lookup asks X again only for the name it did not know.
    assert asked == [*first, ("users", 1), ("creators", 100), ("creators", 50)]
    assert "errors: spaces: X knows no user host_149" in lines[0]


def test_a_failed_job_is_tried_again_after_30_s_doubling_up_to_its_interval_and_each_try_is_kept(httpserver, tmp_path):
    fake = FakeX(counts=spiky_counts(), counts_failures=4)
    fake.install(httpserver)
    config = WatchConfig(counts_every=100, hashtags=(("ImranKhan", "PTI"),))
    clock, lines = Clock(T0), []
    watcher = make_watcher(httpserver, tmp_path, clock, config, lines)
    asked_at, seen = [], {}
    for second in range(300):
        asked = len(fake.asked)
        watcher.cycle()
        if len(fake.asked) > asked:
            asked_at.append(second)
        if second in (199, 200):
            seen[second] = read_status(tmp_path, T0 + timedelta(seconds=second)).jobs[0]
        clock.advance(1)

    # Four failures: tried again 30 s, 60 s, then 100 s (the interval, not 120 s) and 100 s later; the fifth works.
    assert asked_at == [0, 30, 90, 190, 290]
    unavailable = "X API /tweets/counts/recent: HTTP 503 Service Unavailable"
    assert [line.split(" | ")[-1] for line in lines[:3]] == [
        f"errors: counts: {unavailable}: the server failed; try again later (next try at 17:10:30 UTC)",
        f"errors: counts: {unavailable}: the server failed; try again later (next try at 17:11:30 UTC)",
        f"errors: counts: {unavailable}: the server failed; try again later (next try at 17:13:10 UTC)",
    ]
    # Never a success since the first failure: failing once two intervals (200 s) have passed.
    assert (seen[199].failing_since, seen[199].failing(T0 + timedelta(seconds=199))) == (T0, False)
    assert seen[200].failing(T0 + timedelta(seconds=200))
    counts = read_status(tmp_path, T0 + timedelta(seconds=300)).jobs[0]
    assert counts == JobStatus(
        "counts",
        100.0,
        0,
        T0 + timedelta(seconds=290),
        f"{unavailable}: the server failed; try again later",
        T0 + timedelta(seconds=190),
        None,
        T0 + timedelta(seconds=390),
    )
    assert load_dataset(tmp_path, "hashtags")[0].height == 167


def test_the_startup_line_counts_the_webhooks_of_the_config_and_the_environment(
    httpserver, tmp_path, monkeypatch, capsys
):
    FakeX().install(httpserver)
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("X_API_BASE_URL", httpserver.url_for("/2"))
    # The config's own webhook named again in the environment is one webhook, not two.
    in_config = httpserver.url_for("/hook/T0/B0/in-config")
    monkeypatch.setenv("PULSE_WEBHOOK_URLS", f"{httpserver.url_for(HOOK)},{in_config}")
    config = tmp_path / "watch.toml"
    config.write_text(f'[alerts]\nwebhooks = ["{in_config}"]\n')

    assert main(["watch", "--config", str(config), "--data", str(tmp_path / "data"), "--once"]) == 0

    first = capsys.readouterr().out.splitlines()[0]
    assert "for 0 hashtag(s), 0 host(s), 2 webhook(s) (1 in the config, 1 from PULSE_WEBHOOK_URLS) (PID " in first


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("{not json", "not a JSON file"),
        ("[1, 2]", "not a JSON object"),
        ("{}", "updated_at is missing"),
        ('{"updated_at": "yesterday"}', "updated_at: not a time (got 'yesterday')"),
        ('{"updated_at": NaN}', "updated_at: not a time (got nan)"),
        ('{"updated_at": 1e300}', "updated_at: not a time (got 1e+300)"),
        ('{"updated_at": 1, "tracking": ["x"]}', "tracking: not an object (got ['x'])"),
        ('{"updated_at": 1, "jobs": {"counts": {"every": 0}}}', "jobs.counts.every: not a number of seconds (got 0)"),
        ('{"updated_at": 1, "jobs": {"counts": {"every": 9, "failures": true}}}', "jobs.counts.failures: not a count"),
        (
            '{"updated_at": 1, "jobs": {"spaces": {"every": 9, "last_error": ["x"]}}}',
            "jobs.spaces.last_error: not text",
        ),
        ('{"updated_at": 1, "jobs": {"delivery": {"every": 9, "failing_since": "x"}}}', "jobs.delivery.failing_since"),
    ],
)
def test_a_state_file_no_watcher_wrote_is_unreadable_naming_why(tmp_path, content, why):
    state_path(tmp_path).parent.mkdir()
    state_path(tmp_path).write_text(content)
    with pytest.raises(PulseError, match="^watcher state unreadable: .watch/state.json: ") as caught:
        read_status(tmp_path, T0)
    assert why in str(caught.value)
    assert str(tmp_path) not in str(caught.value)  # a viewer has no use for the server's paths
