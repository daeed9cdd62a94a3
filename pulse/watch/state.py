"""What `pulse watch` leaves for the dashboard: its state file and heartbeat, and the Spaces it is sampling.

The only part of the watcher the app reads; it imports nothing of the collector.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pulse.data.contract import SPACES
from pulse.data.load import EMPTY_SAMPLES, load_dataset
from pulse.data.store import Store

WATCH_DIR = ".watch"
STALE_S = 120.0  # a heartbeat older than this means no watcher is running


@dataclass(frozen=True)
class WatchStatus:
    """The watcher's heartbeat as the dashboard sees it."""

    pid: int | None
    updated_at: datetime
    live: tuple[str, ...]  # Spaces being sampled
    running: bool
    last_cycle: str


def state_path(root: Path) -> Path:
    return Path(root) / WATCH_DIR / "state.json"


def read_state(root: Path) -> dict:
    """The watcher's state, or an empty one when there is none or it cannot be read."""
    try:
        state = json.loads(state_path(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def read_status(root: Path, now: datetime) -> WatchStatus | None:
    """The last heartbeat of a watcher of `root`; None when no watcher ever ran there."""
    state = read_state(root)
    try:
        updated = datetime.fromtimestamp(float(state["updated_at"]), UTC)
    except (KeyError, TypeError, ValueError):
        return None
    stopped = state.get("stopped_at") is not None
    running = not stopped and (now - updated).total_seconds() <= STALE_S
    live = tuple(str(s) for s in state.get("tracking", {})) if running else ()
    pid = state.get("pid")
    return WatchStatus(pid if isinstance(pid, int) else None, updated, live, running, str(state.get("last_cycle", "")))


def updated_ago(status: WatchStatus, now: datetime) -> str:
    """How long ago the watcher's last heartbeat was: '40 s', '3 min'."""
    seconds = max(int((now - status.updated_at).total_seconds()), 0)
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


def live_spaces(store: Store, space_ids: tuple[str, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored rows of the Spaces being sampled, and their samples so far in time order."""
    spaces, samples = load_dataset(store, "spaces"), load_dataset(store, "space_samples")
    ids = pl.lit(list(space_ids), pl.List(pl.String))
    spaces = spaces[0].filter(pl.col("space_id").is_in(ids)).sort("started_at") if spaces else None
    samples = samples[0] if samples else EMPTY_SAMPLES
    if spaces is None:
        return pl.DataFrame(schema=SPACES.schema), EMPTY_SAMPLES
    return spaces, samples.filter(pl.col("space_id").is_in(ids)).sort("space_id", "at")
