"""`pulse watch` under attack (issue 25): webhooks that drip or flood, a Space whose last lookup fails, hundreds of
hashtags, counts dated in the future, duplicate hashtags, hostile text in chats and logs, a tampered lock or state
and a full disk. Each test performs the attack on a server of its own on 127.0.0.1 and fails on the code before."""

import errno
import json
import os
import signal
import subprocess
import time
import tracemalloc
from datetime import timedelta
from subprocess import PIPE

import pytest
from werkzeug import Response

from pulse.cli import main
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.errors import PulseError
from pulse.escape import chat_text, log_text
from pulse.watch import alerts, delivery, runner
from pulse.watch.lock import WatchLock
from pulse.watch.settings import WatchConfig, read_config
from pulse.watch.state import read_state, read_status, state_path
from tests.conftest import ROOT, utc
from tests.fake_x import FakeX, RawServer, drip, endless
from tests.test_watch import HOOK, SPACE_ID, T0, Clock, _wait_for, _watch, make_watcher, spiky_counts
from tests.test_x_api import TOKEN

JOINER = "\u2060"


def pending(data, number: int) -> None:
    """`number` alerts in the store that no webhook has taken yet."""
    rows = [
        {
            "alert_id": f"rally/r{n}/2024-02-01T13:00Z",
            "raised_at": T0,
            "kind": alerts.RALLY,
            "party": "PTI",
            "subject": f"r{n}",
            "value": None,
            "baseline": None,
            "message": f"PTI rally r{n}: Lahore",
            "delivered": False,
            "error": None,
            "delivered_to": None,
            "attempts": 0,
            "retry_at": None,
        }
        for n in range(number)
    ]
    alerts.add_alerts(Store(data), alerts.as_frame(rows))


# -- 2. webhooks: one deadline per POST, no answer read, a bounded slice of each cycle ------------------------------


def test_a_dripping_webhook_holds_a_cycle_no_longer_than_the_delivery_slice(httpserver, tmp_path, monkeypatch):
    monkeypatch.setattr(delivery, "WEBHOOK_DEADLINE_S", 0.5)
    monkeypatch.setattr(runner, "DELIVERY_SLICE_S", 0.8)
    pending(tmp_path, 3)
    lines: list[str] = []
    with RawServer(drip(b"", 0.1, whole=True)) as hook:  # 7 s for each POST (70 bytes)
        watcher = make_watcher(httpserver, tmp_path, Clock(T0), WatchConfig(webhooks=(hook.url(HOOK),)), lines)
        started = time.monotonic()
        report = watcher.cycle()
        took = time.monotonic() - started
        asked = hook.requests
    assert took < 2.0  # two POSTs of 0.5 s at most; before, three of 7 s each
    assert asked == 2  # the third waits for the next cycle
    assert (report.delivered, report.waiting) == (0, 3)
    assert "no answer within 0.5 s" in lines[0]


def test_a_webhook_answering_without_end_is_not_read(httpserver, tmp_path):
    pending(tmp_path, 1)
    with RawServer(endless(limit=256 * 1024 * 1024)) as hook:
        watcher = make_watcher(httpserver, tmp_path, Clock(T0), WatchConfig(webhooks=(hook.url(HOOK),)), [])
        tracemalloc.start()
        try:
            report = watcher.cycle()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert report.delivered == 1  # its status said 200: the rest of the answer says nothing more
    assert peak < 16 * 1024 * 1024  # before: the whole 256 MB answer, and more


def test_sigterm_is_obeyed_within_5_s_while_a_webhook_drips(tmp_path):
    data, config = tmp_path / "data", tmp_path / "watch.toml"
    pending(data, 2)
    env = {**os.environ, "X_BEARER_TOKEN": TOKEN}
    env.pop("PULSE_WEBHOOK_URLS", None)
    with RawServer(drip(b"", 1.0, whole=True)) as hook:  # 70 s for each POST
        config.write_text(f'[alerts]\nwebhooks = ["{hook.url(HOOK)}"]\n')
        watcher = subprocess.Popen(_watch(config, data), cwd=ROOT, env=env, stdout=PIPE, stderr=PIPE, text=True)
        try:
            _wait_for(lambda: hook.requests >= 1, 60, "the first POST")
            asked_at = time.monotonic()
            watcher.send_signal(signal.SIGTERM)
            out, err = watcher.communicate(timeout=30)
            took = time.monotonic() - asked_at
        finally:
            if watcher.poll() is None:
                watcher.kill()
    assert took < 5, (took, out, err)
    assert watcher.returncode == 0, err
    assert "stopped by a signal; every write is complete" in out


# -- 4. a failed lookup backs off and is logged ---------------------------------------------------------------------


def test_an_ended_space_whose_final_lookup_fails_is_tried_again_with_back_off_and_logged(httpserver, tmp_path):
    httpserver.expect_request(f"/2/spaces/{SPACE_ID}").respond_with_json({"data": {"id": SPACE_ID, "state": "ended"}})
    httpserver.expect_request("/2/spaces").respond_with_json({"title": "Service Unavailable"}, status=503)
    clock, lines = Clock(T0), []
    watcher = make_watcher(httpserver, tmp_path, clock, WatchConfig(sample_every=30), lines)
    watcher.state["tracking"][SPACE_ID] = {"next": clock(), "failures": 0}

    def lookups() -> int:
        return sum(request.path == "/2/spaces" for request, _ in httpserver.log)

    for _ in range(10):  # 10 cycles in 10 s: before, 10 lookups and not a line
        watcher.cycle()
        clock.advance(1)
    assert lookups() == 1
    assert len(lines) == 1 and f"Space {SPACE_ID}: X API /spaces: HTTP 503 Service Unavailable" in lines[0]
    assert read_state(tmp_path)["tracking"][SPACE_ID] == {
        "next": (T0 + timedelta(seconds=30)).timestamp(),
        "failures": 1,
    }
    clock.advance(20)  # +30 s: the second try, then 60 s to the third
    watcher.cycle()
    assert lookups() == 2
    assert watcher.state["tracking"][SPACE_ID]["next"] == (T0 + timedelta(seconds=90)).timestamp()


# -- 5. one cycle's counts in one write -----------------------------------------------------------------------------


def test_a_cycle_merges_every_hashtags_counts_in_one_write(httpserver, tmp_path):
    tags = [f"tag{n}" for n in range(30)]
    FakeX(counts={(t, utc(2024, 2, 1, 16)): 3 for t in tags}).install(httpserver)
    (tmp_path / "hashtags.csv").write_text("hashtag,party,period_start,tweets\nold,PTI,2024-01-30T10:00:00Z,1\n")
    config = WatchConfig(hashtags=tuple((t, "PTI") for t in tags))
    report = make_watcher(httpserver, tmp_path, Clock(T0), config, []).cycle()
    assert len(Store(tmp_path).history("hashtags")) == 1  # before: one copy for each hashtag (20 kept)
    assert report.counts == ["5010 hour(s) fetched, 5010 added, 0 updated"]  # 30 × 167 hours
    assert load_dataset(tmp_path, "hashtags")[0].height == 1 + 30 * 167


# -- 6. hours stored after the clock ----------------------------------------------------------------------------------


def test_a_count_dated_in_the_future_does_not_silence_its_hashtag(httpserver, tmp_path):
    fake = FakeX(counts=spiky_counts())
    fake.install(httpserver)
    (tmp_path / "hashtags.csv").write_text("hashtag,party,period_start,tweets\nImranKhan,PTI,2024-03-02T16:00:00Z,1\n")
    config = WatchConfig(hashtags=(("ImranKhan", "PTI"),))
    report = make_watcher(httpserver, tmp_path, Clock(T0), config, []).cycle()
    assert fake.asked == ["counts imrankhan 25 18:00-01 17:00"]  # before: nothing asked, "0 hour(s) fetched"
    assert report.counts[0] == (
        "1 stored hour(s) after the clock (the latest 2024-03-02 16:00 UTC) ignored for where to fetch from"
    )
    assert report.raised == 1  # the spike at 16:00 is seen


# -- 7. duplicate hashtags ------------------------------------------------------------------------------------------


def test_a_hashtag_listed_twice_in_any_case_is_refused(tmp_path):
    path = tmp_path / "watch.toml"
    path.write_text('[[hashtags]]\ntag = "ImranKhan"\nparty = "PTI"\n[[hashtags]]\ntag = "#imrankhan"\nparty = "PTI"\n')
    with pytest.raises(PulseError, match=r"hashtags\[2\]\.tag: '#imrankhan' is listed twice \(also as hashtags\[1\]"):
        read_config(path)
    path.write_text('[[hosts]]\nuser = "ImranKhanPTI"\nparty = "PTI"\n[[hosts]]\nuser = "@imrankhanpti"\nparty = "X"\n')
    with pytest.raises(PulseError, match=r"hosts\[2\]\.user: '@imrankhanpti' is listed twice"):
        read_config(path)


def test_a_spike_found_twice_is_still_one_alert(httpserver, tmp_path):
    FakeX(counts=spiky_counts()).install(httpserver)
    config = WatchConfig(hashtags=(("ImranKhan", "PTI"), ("imrankhan", "PTI")))  # past the config's own check
    report = make_watcher(httpserver, tmp_path, Clock(T0), config, []).cycle()
    assert report.errors == []
    assert alerts.load_alerts(Store(tmp_path))["alert_id"].to_list() == ["spike/imrankhan/PTI/2024-02-01T16:00Z"]


def test_a_broken_rallies_file_keeps_back_no_spike(httpserver, tmp_path):
    FakeX(counts=spiky_counts()).install(httpserver)
    (tmp_path / "rallies.csv").write_text("rally_id,party,city,announced_at,starts_at\nx,PTI,Lahore,yesterday,soon\n")
    report = make_watcher(httpserver, tmp_path, Clock(T0), WatchConfig(hashtags=(("ImranKhan", "PTI"),)), []).cycle()
    assert report.raised == 1
    assert [e.split(":")[0] for e in report.errors] == ["alerts"]
    assert "rallies:" in report.errors[0]


# -- 8. API numbers checked on the way in ----------------------------------------------------------------------------


def test_a_listener_count_of_10_to_the_12_is_not_stored_and_the_samples_stay_readable(httpserver, tmp_path):
    counts = iter([500, 10**12, 700])
    httpserver.expect_request(f"/2/spaces/{SPACE_ID}").respond_with_handler(
        lambda request: Response(
            json.dumps({"data": {"id": SPACE_ID, "state": "live", "participant_count": next(counts)}}),
            content_type="application/json",
        )
    )
    clock, lines = Clock(T0), []
    watcher = make_watcher(httpserver, tmp_path, clock, WatchConfig(sample_every=30), lines)
    watcher.state["tracking"][SPACE_ID] = {"next": clock(), "failures": 0}
    for _ in range(3):
        watcher.cycle()
        clock.advance(30)
    samples = load_dataset(tmp_path, "space_samples")[0]  # before: refused as out of range, on every page
    assert samples["participants"].to_list() == [500, 700]
    assert "participant_count 1000000000000 is not a count from 0 to 1,000,000,000" in lines[1]


# -- 13. the lock ---------------------------------------------------------------------------------------------------


def test_a_symlink_in_place_of_the_lock_is_refused_and_its_target_left_alone(tmp_path):
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    (tmp_path / "data" / ".watch").mkdir(parents=True)
    (tmp_path / "data" / ".watch" / "lock").symlink_to(precious)
    with pytest.raises(PulseError, match=r"\.watch/lock is a symbolic link: remove it"):
        WatchLock(tmp_path / "data").acquire()
    assert precious.read_text() == "keep me"


def test_deleting_the_lock_file_under_a_running_watcher_lets_no_second_one_start(tmp_path):
    running = WatchLock(tmp_path)
    running.acquire()
    try:
        (tmp_path / ".watch" / "lock").unlink()
        with pytest.raises(PulseError, match=r"another watcher \(PID unknown\) is already watching"):
            WatchLock(tmp_path).acquire()
    finally:
        running.release()
    after = WatchLock(tmp_path)
    after.acquire()  # once it stopped, a new one may start
    after.release()


# -- 15. chat injection ---------------------------------------------------------------------------------------------


def test_mentions_links_and_markdown_from_the_data_reach_the_chat_as_plain_text():
    message = (
        "PTI's Space \"@channel @here @everyone [portal](https://evil.example/login) www.evil.example\n\n*Official*"
        ' `x` ~y~ _z_ |t|" by Imran_Khan has 6,000 listeners now, above the all-time record of 5,000'
    )
    body = delivery.payload({**{c: None for c in alerts.ALERT_COLUMNS}, "message": message})
    text = body["text"]
    assert text == (
        f"PTI's Space \"@{JOINER}channel @{JOINER}here @{JOINER}everyone \\[portal\\](https:{JOINER}//evil.{JOINER}"
        f'example/login) www.{JOINER}evil.{JOINER}example \\*Official\\* \\`x\\` \\~y\\~ \\_z\\_ \\|t\\|" by '
        "Imran_Khan has 6,000 listeners now, above the all-time record of 5,000"
    )
    assert body["alert"]["message"] == message  # the structured alert keeps the raw value


def test_a_message_opening_like_a_markdown_block_is_not_one():
    assert chat_text("# PTI rally") == f"{JOINER}# PTI rally"
    assert chat_text("> quoted") == f"{JOINER}> quoted"
    assert chat_text("1. first") == f"{JOINER}1. first"
    assert chat_text("#ImranKhan spiked") == "#ImranKhan spiked"


# -- 16. log forging ------------------------------------------------------------------------------------------------


def test_an_x_error_message_cannot_forge_a_line_of_the_watchers_log(httpserver, tmp_path):
    forged = "Bad\n2024-02-01 17:10:00 UTC | counts: 167 hour(s) fetched\x1b[1A\x1b[2K"
    httpserver.expect_request("/2/tweets/counts/recent").respond_with_json({"detail": forged}, status=400)
    lines: list[str] = []
    make_watcher(httpserver, tmp_path, Clock(T0), WatchConfig(hashtags=(("ImranKhan", "PTI"),)), lines).cycle()
    assert len(lines) == 1
    assert not any(c in lines[0] for c in "\n\r\x1b")
    assert "(Bad\\n2024-02-01 17:10:00 UTC | counts: 167 hour(s) fetched\\x1b[1A\\x1b[2K)" in lines[0]


def test_log_text_escapes_every_control_character():
    assert (
        log_text("a\nb\r\tc\x00\x1b[31m\x7f\x85\u202e\u2028ok")
        == "a\\nb\\r\\tc\\x00\\x1b[31m\\x7f\\x85\\u202e\\u2028ok"
    )


# -- tracebacks on local input: a clear error, exit 2 ---------------------------------------------------------------


def run_watch(tmp_path, monkeypatch, config) -> int:
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    return main(["watch", "--config", str(config), "--data", str(tmp_path / "data"), "--once"])


def test_a_config_nested_60000_deep_is_refused(tmp_path, monkeypatch, capsys):
    config = tmp_path / "watch.toml"
    config.write_text("x = " + "[" * 60_000 + "]" * 60_000 + "\n")
    assert run_watch(tmp_path, monkeypatch, config) == 2
    assert "not valid TOML: nested too deeply" in capsys.readouterr().err


def test_a_config_read_from_dev_zero_stops_at_the_size_cap(tmp_path, monkeypatch, capsys):
    started = time.monotonic()
    assert run_watch(tmp_path, monkeypatch, "/dev/zero") == 2
    assert "/dev/zero: larger than 1024 KB: not a watch config" in capsys.readouterr().err
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("interval", ["1" + "0" * 400 + "s", "25h", "86401"])
def test_an_interval_longer_than_a_day_is_refused(tmp_path, interval):
    path = tmp_path / "watch.toml"
    path.write_text(f'[watch]\nsample_every = "{interval}"\n')
    with pytest.raises(PulseError, match=r"watch.sample_every: at most a day \(86,400 s, 24h\)"):
        read_config(path)


def test_a_hashtag_in_any_script_is_accepted_as_files_accept_it(tmp_path):
    path = tmp_path / "watch.toml"
    path.write_text(
        '[[hashtags]]\ntag = "#عمران_خان_زِندہ"\nparty = "PTI"\n[[hashtags]]\ntag = "NayaPakistan"\nparty = "PTI"\n'
    )
    assert read_config(path).hashtags == (("عمران_خان_زِندہ", "PTI"), ("NayaPakistan", "PTI"))
    path.write_text('[[hashtags]]\ntag = "vote OR spam"\nparty = "PTI"\n')
    with pytest.raises(PulseError, match="letters, digits and _ only"):
        read_config(path)


def test_a_tampered_state_file_restarts_the_watcher_afresh_instead_of_crashing_it(httpserver, tmp_path):
    state_path(tmp_path).parent.mkdir()
    state = {"user_ids": ["x"], "tracking": {"s1": {"next": "soon"}, "s2": {"next": 1e9, "failures": 0}}}
    state_path(tmp_path).write_text(json.dumps({**state, "rallies_seen": 7}))
    lines: list[str] = []
    watcher = make_watcher(httpserver, tmp_path, Clock(T0), WatchConfig(), lines)
    assert watcher.state == {
        "user_ids": {},
        "tracking": {"s2": {"next": 1e9, "failures": 0}},
        "rallies_seen": None,
        **{"stream_tracking": {}, "youtube_uploads": {}, "youtube_quota": None},
    }
    assert lines == [
        "the watcher state's user_ids, tracking, rallies_seen is not what a watcher writes: starting it afresh"
    ]


def test_a_fifo_in_place_of_the_state_file_is_unreadable_not_a_hang(tmp_path):
    state_path(tmp_path).parent.mkdir()
    os.mkfifo(state_path(tmp_path))
    with pytest.raises(
        PulseError, match=r"^watcher state unreadable: .watch/state.json: not a JSON file \(not a regular"
    ):
        read_status(tmp_path, T0)
    assert read_state(tmp_path) == {}


def test_a_full_disk_is_a_clear_error_and_leaves_the_store_as_it_was(httpserver, tmp_path, monkeypatch, capsys):
    FakeX(counts=spiky_counts()).install(httpserver)
    data = tmp_path / "data"
    data.mkdir()
    (data / "hashtags.csv").write_text("hashtag,party,period_start,tweets\nImranKhan,PTI,2024-01-30T10:00:00Z,1\n")
    before = {p: p.read_bytes() for p in data.rglob("*") if p.is_file()}

    def full(target, content) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("pulse.data.store.atomic_write", full)
    monkeypatch.setattr("pulse.watch.runner.atomic_write", full)
    monkeypatch.setenv("X_API_BASE_URL", httpserver.url_for("/2"))
    config = tmp_path / "watch.toml"
    config.write_text('[[hashtags]]\ntag = "ImranKhan"\nparty = "PTI"\n')
    assert run_watch(tmp_path, monkeypatch, config) == 3  # a job failed; the process ends as --once does
    out = capsys.readouterr().out
    assert "counts: could not keep a copy of hashtags.csv in history, so nothing was saved: No space left" in out
    assert "could not save the watcher state: No space left on device" in out
    assert {p: p.read_bytes() for p in before} == before
    assert not [p for p in data.rglob("*.tmp")]
