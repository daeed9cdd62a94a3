"""Live Space and live stream trackers that run in background threads, so they outlive a page's reruns and sessions.

One `Trackers` registry per platform (SPACE over X, STREAM over YouTube) serves a whole server process and is shared
by every user: all its state is behind one lock, and callers only ever get frozen snapshots (`TrackerStatus`) back.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import polars as pl

from pulse.connectors import youtube
from pulse.connectors.x_api import XClient, base_url_from_env, space_id_from, track_space
from pulse.errors import PulseError
from pulse.redact import hide_secret

RUNNING = "running"
ENDED = "ended"  # the Space ended: tracking finished by itself
STOPPED = "stopped"  # someone pressed Stop
FAILED = "failed"  # an error ended tracking (rate limit, rejected token, network...)
MAX_RUNNING = 10  # every tracker polls the same app-wide X rate limit
MAX_KEPT = 50  # finished trackers kept for their status; the oldest beyond this are dropped
MIN_INTERVAL_S = 5.0

log = logging.getLogger(__name__)

OnSample = Callable[[str, datetime, int], object]
ClientFactory = Callable[..., object]


@dataclass(frozen=True)
class Subject:
    """What a registry tracks: its name, how an id is read from what a user typed, the client to poll with and the
    loop that polls (client, id, every_s, on_sample, sleep=) until it ends."""

    name: str
    id_column: str
    id_from: Callable[[str], str]
    make_client: ClientFactory
    base_url_from: Callable[[str | None], str]
    track: Callable[..., object]


SPACE = Subject("Space", "space_id", space_id_from, XClient, base_url_from_env, track_space)
STREAM = Subject(
    "stream", "stream_id", youtube.video_id_from, youtube.YouTubeClient, youtube.base_url_from_env, youtube.track_stream
)


@dataclass(frozen=True)
class TrackerStatus:
    """A snapshot of one tracker."""

    subject_id: str  # the Space's or the stream's id
    state: str
    every_s: float
    started_at: datetime
    samples: int = 0
    last_count: int | None = None
    last_sample_at: datetime | None = None
    error: str | None = None
    finished_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.state == RUNNING


class _Stopped(Exception):
    """Unwinds track_space inside a tracker thread once stop() was called."""


class _Run:
    """One tracking run: its stop signal, its thread and its status (guarded by the registry's lock)."""

    def __init__(self, status: TrackerStatus):
        self.stop = threading.Event()
        self.status = status
        self.thread: threading.Thread | None = None


class Trackers:
    """Background trackers of live Spaces (or streams), one per id: start, stop, and status snapshots."""

    def __init__(
        self,
        make_client: ClientFactory | None = None,
        max_running: int = MAX_RUNNING,
        min_interval_s: float = MIN_INTERVAL_S,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        subject: Subject = SPACE,
    ):
        self.subject = subject
        self._make_client = make_client or subject.make_client
        self._max_running = max_running
        self._min_interval_s = min_interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._runs: dict[str, _Run] = {}

    def __repr__(self) -> str:
        return f"Trackers({len(self.statuses())} tracked)"

    def start(
        self,
        subject_id: str,
        every_s: float,
        token: str | None,
        on_sample: OnSample,
        base_url: str | None = None,
        on_end: Callable[[object], object] | None = None,
        **track_options: object,
    ) -> TrackerStatus:
        """Start polling a Space or stream (an id or a link) every `every_s` s in a daemon thread until it ends; then
        `on_end` gets what the polling loop returned. `track_options` go to the loop (a stream's on_start)."""
        subject_id = self.subject.id_from(subject_id)
        name = self.subject.name
        if not every_s >= self._min_interval_s:
            raise PulseError(f"poll at most every {self._min_interval_s:g} s (got {every_s:g} s)")
        run = _Run(TrackerStatus(subject_id, RUNNING, float(every_s), self._clock()))

        def pause(seconds: float) -> None:
            # Between polls and in a rate-limit wait: wakes at once on stop() and unwinds.
            if run.stop.wait(seconds):
                raise _Stopped

        with self._lock:
            current = self._runs.get(subject_id)
            if current is not None and current.status.running:
                raise PulseError(f"{name} {subject_id} is already being tracked; stop it first to change the interval")
            running = sum(r.status.running for r in self._runs.values())
            if running >= self._max_running:
                raise PulseError(f"{running} {name}s are being tracked already (at most {self._max_running}): stop one")
            # Made here, not in the thread, so a missing token is the caller's error to show.
            options = {"sleep": pause} if self.subject is SPACE else {}  # a rate-limit wait wakes on stop()
            client = self._make_client(token or "", base_url=self.subject.base_url_from(base_url), **options)
            self._runs[subject_id] = run
            self._drop_oldest_finished()
            run.thread = threading.Thread(
                target=self._track,
                args=(run, client, on_sample, pause, token, on_end, track_options),
                name=f"track-{name.lower()}-{subject_id}",
                daemon=True,
            )
            run.thread.start()
            return run.status

    def stop(self, subject_id: str) -> bool:
        """Stop tracking a Space or stream now (also mid-request: its answer is then dropped); False if not running."""
        subject_id = self.subject.id_from(subject_id)
        with self._lock:
            run = self._runs.get(subject_id)
            if run is None or not run.status.running:
                return False
            run.stop.set()
            run.status = replace(run.status, state=STOPPED, finished_at=self._clock())
            return True

    def status(self, subject_id: str) -> TrackerStatus | None:
        with self._lock:
            run = self._runs.get(subject_id)
            return run.status if run is not None else None

    def statuses(self) -> list[TrackerStatus]:
        """Every tracker, running ones first, then newest first."""
        with self._lock:
            found = [run.status for run in self._runs.values()]
        return sorted(found, key=lambda s: (not s.running, -s.started_at.timestamp()))

    def wait(self, subject_id: str, timeout: float | None = None) -> TrackerStatus | None:
        """Wait until the current tracker's thread of a Space has finished (for tests and shutdown)."""
        with self._lock:
            run = self._runs.get(subject_id)
        if run is not None and run.thread is not None:
            run.thread.join(timeout)
        return self.status(subject_id)

    # -- in the tracker thread ----------------------------------------------------------------

    def _track(
        self,
        run: _Run,
        client: object,
        on_sample: OnSample,
        pause: Callable[[float], None],
        token: str | None,
        on_end: Callable[[object], object] | None,
        track_options: dict,
    ) -> None:
        def sample(subject_id: str, at: datetime, participants: int) -> None:
            if run.stop.is_set():
                raise _Stopped  # the answer to a request in flight when Stop was pressed
            on_sample(subject_id, at, participants)
            self._update(run, lambda s: replace(s, samples=s.samples + 1, last_count=participants, last_sample_at=at))

        try:
            ended = self.subject.track(
                client, run.status.subject_id, run.status.every_s, sample, sleep=pause, **track_options
            )
            if on_end is not None and not run.stop.is_set():
                on_end(ended)
        except _Stopped:
            return  # stop() has set the state already
        except PulseError as error:
            self._finish(run, FAILED, hide_secret(str(error), token))
        except Exception as error:
            # A thread has no caller to raise to: record the failure where the page shows it. Every viewer sees
            # the status table, and a message may quote anything (the token too): it is hidden in both places.
            message = hide_secret(f"unexpected error: {type(error).__name__}: {error}", token)
            log.error("tracking %s %s failed: %s", self.subject.name, run.status.subject_id, message)
            self._finish(run, FAILED, message)
        else:
            self._finish(run, ENDED)

    def _update(self, run: _Run, change: Callable[[TrackerStatus], TrackerStatus]) -> None:
        with self._lock:
            run.status = change(run.status)

    def _finish(self, run: _Run, state: str, error: str | None = None) -> None:
        with self._lock:
            if run.status.running:  # a stop that came first stays a stop
                run.status = replace(run.status, state=state, error=error, finished_at=self._clock())

    def _drop_oldest_finished(self) -> None:
        finished = sorted((r.status.started_at, sid) for sid, r in self._runs.items() if not r.status.running)
        for _, subject_id in finished[: max(len(finished) - MAX_KEPT, 0)]:
            del self._runs[subject_id]


STATUS_SCHEMA = {
    "id": pl.String,
    "state": pl.String,
    "samples": pl.Int64,
    "last_count": pl.Int64,
    "last_sample_at": pl.Datetime("us", "UTC"),
    "every_s": pl.Float64,
    "started_at": pl.Datetime("us", "UTC"),
    "error": pl.String,
}


def status_table(statuses: list[TrackerStatus], id_column: str = SPACE.id_column) -> pl.DataFrame:
    """The trackers as a table, one row each; the id in `id_column` (space_id, or stream_id)."""
    return pl.DataFrame(
        [
            (s.subject_id, s.state, s.samples, s.last_count, s.last_sample_at, s.every_s, s.started_at, s.error)
            for s in statuses
        ],
        schema=STATUS_SCHEMA,
        orient="row",
    ).rename({"id": id_column})
