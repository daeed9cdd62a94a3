"""What `pulse watch` leaves for the dashboard: its state file and heartbeat, how each of its jobs last went, and
the Spaces it is sampling.

The only part of the watcher the app reads; it imports nothing of the collector.
"""

import math
import os
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pulse.data.contract import SPACES
from pulse.data.load import EMPTY_SAMPLES, load_dataset
from pulse.data.store import Store
from pulse.errors import PulseError
from pulse.http import json_within

WATCH_DIR = ".watch"
STALE_S = 120.0  # a heartbeat older than this means no watcher is running
FAILING_INTERVALS = 2  # a job that has not succeeded for this many of its intervals is failing
JOBS = ("counts", "spaces", "streams", "delivery")  # the jobs whose outcome the state keeps, in the order shown
MAX_STATE_BYTES = 8 * 1024 * 1024  # a watcher's state is KBs; read no more than this of a file that claims to be one
STATE_DEPTH = 8  # the state nests 3 deep
# A time a watcher wrote is Unix seconds between 1970 and 2100: beyond, a page cannot even show it in a time zone.
LATEST_TIME_S = 4_102_444_800.0
MAX_EVERY_S = 86_400.0  # no job's interval is longer than a day (pulse.config.interval_seconds)
MAX_FAILURES = 1_000_000_000


@dataclass(frozen=True)
class JobStatus:
    """How one job of the watcher last went: its last success, its last error, and since when it fails."""

    job: str
    every: float  # its interval, in seconds
    failures: int = 0  # failed tries since its last success
    last_success: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    failing_since: datetime | None = None  # its first failure since its last success
    next_try: datetime | None = None  # when the watcher runs it again (None: every cycle)

    def failing(self, now: datetime) -> bool:
        """Whether it has failed and not succeeded for FAILING_INTERVALS of its intervals (since its last success,
        or since it first failed when it never succeeded)."""
        if self.failing_since is None:
            return False
        since = self.last_success or self.failing_since
        return (now - since).total_seconds() >= FAILING_INTERVALS * self.every


@dataclass(frozen=True)
class WatchStatus:
    """The watcher's heartbeat and its jobs as the dashboard sees them."""

    pid: int | None
    updated_at: datetime
    live: tuple[str, ...]  # Spaces being sampled
    running: bool
    last_cycle: str
    stopped_at: datetime | None = None  # when it stopped, or its last heartbeat when that is stale
    jobs: tuple[JobStatus, ...] = ()
    live_streams: tuple[str, ...] = ()  # YouTube streams being sampled

    def failing(self, now: datetime) -> tuple[JobStatus, ...]:
        return tuple(job for job in self.jobs if job.failing(now))


def state_path(root: Path) -> Path:
    return Path(root) / WATCH_DIR / "state.json"


def _load(root: Path) -> object:
    """The state file parsed (FileNotFoundError when there is none); a ValueError saying why it is no JSON a
    watcher writes: too large, nested too deep, or not JSON."""
    # Not blocking, and only a regular file: a FIFO put in its place would hang the page that reads it.
    fd = os.open(state_path(root), os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ValueError("not a regular file")
        content = file.read(MAX_STATE_BYTES + 1)
    if len(content) > MAX_STATE_BYTES:
        raise ValueError(f"larger than {MAX_STATE_BYTES // (1024 * 1024)} MB")
    return json_within(content, STATE_DEPTH)


def read_state(root: Path) -> dict:
    """The watcher's state, or an empty one when there is none or it cannot be read."""
    try:
        state = _load(root)
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def read_status(root: Path, now: datetime) -> WatchStatus | None:
    """The last heartbeat of a watcher of `root` and how its jobs went; None when no watcher ever ran there.

    A state file that cannot be read or holds what no watcher writes is a PulseError saying so.
    """
    try:
        state = _load(root)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise _unreadable(f"not a JSON file ({str(error)[:80]})") from None
    try:
        return _status(state, now)
    except PulseError as error:
        raise _unreadable(str(error)) from None


def remembered(state: dict) -> tuple[dict, list[str]]:
    """What a restarted watcher takes back from its state: the hosts' user ids, the Spaces and streams it samples, the
    rallies it has seen, the channels' uploads playlists and the day's YouTube quota, each left out (and named in the
    second value) when it is not what a watcher writes."""
    ids, seen = state.get("user_ids", {}), state.get("rallies_seen")
    uploads, quota = state.get("youtube_uploads", {}), state.get("youtube_quota")
    dropped = []
    if not (isinstance(ids, dict) and all(isinstance(v, str) and v.isdigit() for v in ids.values())):
        ids = {}
        dropped.append("user_ids")
    kept = {}
    for key in ("tracking", "stream_tracking"):
        tracking = state.get(key, {})
        entries = tracking.items() if isinstance(tracking, dict) else ()
        kept[key] = {
            s: e for s, e in entries if isinstance(e, dict) and _number(e.get("next")) and _count(e.get("failures"))
        }
        if key == "stream_tracking":
            kept[key] = {s: e for s, e in kept[key].items() if isinstance(e.get("party"), str)}
        if not isinstance(tracking, dict) or len(kept[key]) < len(tracking):
            dropped.append(key)
    if seen is not None and not (isinstance(seen, list) and all(isinstance(k, str) for k in seen)):
        seen = None  # as for a first run: what is there now is not news
        dropped.append("rallies_seen")
    if not (isinstance(uploads, dict) and all(isinstance(v, str) for v in uploads.values())):
        uploads = {}
        dropped.append("youtube_uploads")
    if quota is not None and not (
        isinstance(quota, dict)
        and isinstance(quota.get("day"), str)
        and _count(quota.get("spent"))
        and (quota.get("exhausted_until") is None or _number(quota.get("exhausted_until")))
    ):
        quota = None  # counted afresh: at worst Google's own quotaExceeded stops the day's work
        dropped.append("youtube_quota")
    return {
        "user_ids": dict(ids),
        **kept,
        "rallies_seen": seen,
        "youtube_uploads": dict(uploads),
        "youtube_quota": quota,
    }, dropped


def _unreadable(why: str) -> PulseError:
    # Named from the data directory: a viewer has no use for the server's paths.
    return PulseError(f"watcher state unreadable: {WATCH_DIR}/state.json: {why}")


def _status(state: object, now: datetime) -> WatchStatus:
    if not isinstance(state, dict):
        raise PulseError("not a JSON object")
    updated = _moment(state.get("updated_at"), "updated_at")
    if updated is None:
        raise PulseError("updated_at is missing")
    stopped = _moment(state.get("stopped_at"), "stopped_at")
    running = stopped is None and (now - updated).total_seconds() <= STALE_S
    tracking, streams = state.get("tracking", {}), state.get("stream_tracking", {})
    for key, value in (("tracking", tracking), ("stream_tracking", streams)):
        if not isinstance(value, dict):
            raise PulseError(f"{key}: not an object (got {value!r:.40})")
    pid = state.get("pid")
    return WatchStatus(
        pid if isinstance(pid, int) and not isinstance(pid, bool) else None,
        updated,
        tuple(str(s) for s in tracking) if running else (),
        running,
        str(state.get("last_cycle", "")),
        None if running else stopped or updated,
        jobs_of(state),
        tuple(str(s) for s in streams) if running else (),
    )


def jobs_of(state: dict) -> tuple[JobStatus, ...]:
    """The jobs in a state as the watcher wrote them (see job_json), in JOBS order; a PulseError naming the field
    that no watcher writes."""
    jobs = state.get("jobs", {})
    if not isinstance(jobs, dict):
        raise PulseError(f"jobs: not an object (got {jobs!r:.40})")
    return tuple(_job(name, jobs[name]) for name in JOBS if name in jobs)


def _job(name: str, entry: object) -> JobStatus:
    where = f"jobs.{name}"
    if not isinstance(entry, dict):
        raise PulseError(f"{where}: not an object (got {entry!r:.40})")
    every, failures, error = entry.get("every"), entry.get("failures", 0), entry.get("last_error")
    if not _number(every) or not 0 < every <= MAX_EVERY_S:
        raise PulseError(f"{where}.every: not a number of seconds (got {every!r:.40})")
    if not _count(failures):
        raise PulseError(f"{where}.failures: not a count (got {failures!r:.40})")
    if error is not None and not isinstance(error, str):
        raise PulseError(f"{where}.last_error: not text (got {error!r:.40})")

    def moment(key: str) -> datetime | None:
        return _moment(entry.get(key), f"{where}.{key}")

    return JobStatus(
        name,
        float(every),
        failures,
        moment("last_success"),
        error,
        moment("last_error_at"),
        moment("failing_since"),
        moment("next_try"),
    )


def job_json(job: JobStatus) -> dict:
    """A job as the state file keeps it: times as Unix seconds."""
    return {
        "every": job.every,
        "failures": job.failures,
        "last_success": _seconds(job.last_success),
        "last_error": job.last_error,
        "last_error_at": _seconds(job.last_error_at),
        "failing_since": _seconds(job.failing_since),
        "next_try": _seconds(job.next_try),
    }


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_FAILURES


def _moment(value: object, key: str) -> datetime | None:
    """A time the watcher wrote (Unix seconds), or None."""
    if value is None:
        return None
    try:
        if not _number(value) or not 0 <= value <= LATEST_TIME_S:
            raise ValueError
        return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        raise PulseError(f"{key}: not a time (got {value!r:.40})") from None


def _seconds(at: datetime | None) -> float | None:
    return None if at is None else at.timestamp()


def live_spaces(store: Store, space_ids: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored rows of the Spaces being sampled, and their samples so far in time order."""
    spaces, samples = load_dataset(store, "spaces"), load_dataset(store, "space_samples")
    ids = pl.lit(list(space_ids), pl.List(pl.String))
    spaces = spaces[0].filter(pl.col("space_id").is_in(ids)).sort("started_at") if spaces else None
    samples = samples[0] if samples else EMPTY_SAMPLES
    if spaces is None:
        return pl.DataFrame(schema=SPACES.schema), EMPTY_SAMPLES
    return spaces, samples.filter(pl.col("space_id").is_in(ids)).sort("space_id", "at")
