"""pulse.watch.tracking: background Space trackers with a fake X client (no network, no Streamlit)."""

import threading
import time
from dataclasses import FrozenInstanceError
from datetime import datetime

import polars as pl
import pytest

from pulse.errors import PulseError
from pulse.watch.tracking import ENDED, FAILED, RUNNING, STOPPED, Trackers, status_table
from tests.conftest import utc

ID = "1DXxyRYNejbKM"
WAIT = 5  # seconds a test waits for a thread at most; every wait here ends far sooner


class FakeClient:
    """Answers space_status from a script; a step may block on an event or do a rate-limit wait."""

    def __init__(self, steps: list, token: str, base_url: str, sleep):
        if not token:
            raise PulseError("no X API bearer token")
        self.steps = iter(steps)
        self.token, self.base_url, self.sleep = token, base_url, sleep
        self.polls = 0
        self.in_request = threading.Event()

    def space_status(self, space_id: str) -> tuple[str, int | None, datetime]:
        self.polls += 1
        step = next(self.steps)
        if isinstance(step, threading.Event):  # a request that hangs until the test releases it
            self.in_request.set()
            step.wait(WAIT)
            step = ("live", 99)
        elif step == "rate-limited":  # XClient waits for the rate-limit reset with the sleep it was given
            self.in_request.set()
            self.sleep(3600)
            step = ("live", 98)
        elif isinstance(step, Exception):
            raise step
        state, count = step
        return state, count, utc(2024, 2, 1, 17, self.polls)


class Factory:
    """A make_client for Trackers that hands out FakeClients and remembers them."""

    def __init__(self, *scripts: list):
        self.scripts = list(scripts)
        self.clients: list[FakeClient] = []

    def __call__(self, token: str, base_url: str, sleep) -> FakeClient:
        client = FakeClient(self.scripts.pop(0), token, base_url, sleep)
        self.clients.append(client)
        return client


class Recorder(list):
    def __call__(self, space_id: str, at: datetime, participants: int) -> None:
        self.append((space_id, at, participants))


def eventually(condition) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def trackers(factory: Factory, **kwargs) -> Trackers:
    return Trackers(make_client=factory, min_interval_s=0.001, **kwargs)


def test_tracks_until_the_space_ends_and_records_every_sample():
    factory, samples = Factory([("live", 10), ("scheduled", None), ("live", 30), ("ended", None)]), Recorder()
    registry = trackers(factory)
    started = registry.start(f"https://x.com/i/spaces/{ID}?s=20", 0.001, "token", samples, base_url="http://x/2")
    assert (started.subject_id, started.state) == (ID, RUNNING)
    status = registry.wait(ID, WAIT)
    assert samples == [(ID, utc(2024, 2, 1, 17, 1), 10), (ID, utc(2024, 2, 1, 17, 3), 30)]
    assert (status.state, status.samples, status.last_count, status.last_sample_at) == (
        ENDED,
        2,
        30,
        utc(2024, 2, 1, 17, 3),
    )
    assert status.error is None and status.finished_at is not None
    assert factory.clients[0].base_url == "http://x/2"


def test_stop_wakes_the_pause_between_polls():
    factory, samples = Factory([("live", 10), ("live", 20)]), Recorder()
    registry = trackers(factory)
    registry.start(ID, 3600, "token", samples)  # an hour between polls
    eventually(lambda: samples)
    assert registry.stop(ID)
    thread = registry._runs[ID].thread
    thread.join(WAIT)
    assert not thread.is_alive()
    status = registry.status(ID)
    assert (status.state, status.samples) == (STOPPED, 1)
    assert factory.clients[0].polls == 1  # no poll after the stop
    assert not registry.stop(ID)  # stopping a stopped tracker is a no-op


def test_stop_mid_request_drops_the_answer_and_ends_the_thread():
    release = threading.Event()
    factory, samples = Factory([release]), Recorder()
    registry = trackers(factory)
    registry.start(ID, 1, "token", samples)
    assert factory.clients[0].in_request.wait(WAIT)
    assert registry.stop(ID)
    assert registry.status(ID).state == STOPPED  # at once, while the request still hangs
    release.set()
    assert registry.wait(ID, WAIT).state == STOPPED
    assert samples == []


def test_stop_wakes_a_rate_limit_wait_in_the_client():
    factory = Factory(["rate-limited"])
    registry = trackers(factory)
    registry.start(ID, 1, "token", Recorder())
    assert factory.clients[0].in_request.wait(WAIT)
    registry.stop(ID)
    thread = registry._runs[ID].thread
    thread.join(WAIT)
    assert not thread.is_alive()


def test_errors_are_recorded_not_raised():
    factory = Factory(
        [("live", 5), PulseError("X API rejected the token (HTTP 401)")],
        [RuntimeError("boom")],
    )
    registry = trackers(factory)
    registry.start(ID, 0.001, "token", Recorder())
    status = registry.wait(ID, WAIT)
    assert (status.state, status.samples, status.error) == (FAILED, 1, "X API rejected the token (HTTP 401)")
    registry.start("OTHER1", 0.001, "token", Recorder())
    assert registry.wait("OTHER1", WAIT).error == "unexpected error: RuntimeError: boom"


def test_a_failing_store_fails_the_tracker():
    def full_disk(space_id: str, at: datetime, participants: int) -> None:
        raise PulseError("could not save space_samples.csv: No space left on device")

    registry = trackers(Factory([("live", 5)]))
    registry.start(ID, 0.001, "token", full_disk)
    status = registry.wait(ID, WAIT)
    assert (status.state, status.samples) == (FAILED, 0)
    assert "No space left on device" in status.error


def test_one_tracker_per_space_and_a_cap_on_running_ones():
    hang = threading.Event()
    factory = Factory([hang], [hang], [("ended", None)])
    registry = trackers(factory, max_running=2)
    registry.start(ID, 1, "token", Recorder())
    with pytest.raises(PulseError, match=f"Space {ID} is already being tracked"):
        registry.start(ID, 1, "token", Recorder())
    registry.start("SECOND", 1, "token", Recorder())
    with pytest.raises(PulseError, match=r"2 Spaces are being tracked already \(at most 2\)"):
        registry.start("THIRD", 1, "token", Recorder())
    registry.stop(ID)
    hang.set()
    registry.start(ID, 1, "token", Recorder())  # a new run once the old one is stopped
    assert registry.wait(ID, WAIT).state == ENDED
    registry.stop("SECOND")
    assert [s.subject_id for s in registry.statuses()] == [ID, "SECOND"]


def test_bad_input_is_refused_before_any_thread_starts():
    factory = Factory([("ended", None)])
    registry = trackers(factory)
    with pytest.raises(PulseError, match="no X API bearer token"):
        registry.start(ID, 1, None, Recorder())
    with pytest.raises(PulseError, match="not a valid X Space id"):
        registry.start("../../etc", 1, "token", Recorder())
    with pytest.raises(PulseError, match="poll at most every 5 s"):
        Trackers(make_client=factory).start(ID, 1, "token", Recorder())
    assert registry.statuses() == []


def test_statuses_are_snapshots():
    registry = trackers(Factory([("ended", None)]))
    before = registry.start(ID, 0.001, "token", Recorder())
    registry.wait(ID, WAIT)
    assert before.state == RUNNING  # the snapshot did not change under the caller
    with pytest.raises(FrozenInstanceError):
        before.state = STOPPED


def test_status_table():
    registry = trackers(Factory([("live", 1200), ("ended", None)]))
    registry.start(ID, 0.001, "token", Recorder())
    registry.wait(ID, WAIT)
    table = status_table(registry.statuses())
    assert table.select("space_id", "state", "samples", "last_count").rows() == [(ID, ENDED, 1, 1200)]
    assert table.schema["last_sample_at"] == pl.Datetime("us", "UTC")
    assert status_table([]).height == 0
