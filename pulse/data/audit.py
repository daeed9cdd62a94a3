"""The audit trail: who changed which dataset, how, from what, and between which versions.

The store appends one row for every change it makes (pulse.data.store), under its lock, to `audit.csv` in the data
directory. The file only grows: the store refuses to save, merge or undo it, keeps no history of it, and its
retention (PULSE_HISTORY_VERSIONS) never reaches it. Here: who acts (Actor), one row as CSV bytes, and reading the
rows back for the Audit page and `python -m pulse audit`.
"""

import getpass
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from pulse.data.contract import AUDIT

AUDIT_DATASET = "audit"
AUDIT_FILE = "audit.csv"
HEADER = ",".join(AUDIT.names)
VERSION_CHARS = 16  # of a file's SHA-256: enough to tell versions apart, short enough to read


@dataclass(frozen=True)
class Actor:
    """Who makes a change: an email (with their role), `cli:<os user>` or `watch`; `action` names what a command
    does when it is more than the store's operation (fetch-x)."""

    name: str
    role: str = ""
    action: str = ""


WATCH = Actor("watch", "watch", "watch")


def cli_actor(action: str = "") -> Actor:
    """The person at the shell: their operating-system user."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment nor the password database
        user = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return Actor(f"cli:{user}", "cli", action)


@dataclass(frozen=True)
class Entry:
    """One change: what it did to which dataset, from what, between which versions."""

    actor: Actor
    action: str
    dataset: str
    rows_added: int = 0
    rows_updated: int = 0
    rows_removed: int = 0
    source: str = ""
    content_sha256: str = ""
    version_before: str = ""
    version_after: str = ""

    def frame(self, at: datetime) -> pl.DataFrame:
        row = {
            "at": at.astimezone(UTC),
            "actor": self.actor.name,
            "role": self.actor.role,
            "action": self.actor.action or self.action,
            "dataset": self.dataset,
            "rows_added": self.rows_added,
            "rows_updated": self.rows_updated,
            "rows_removed": self.rows_removed,
            "source": self.source,
            "content_sha256": self.content_sha256,
            "version_before": self.version_before,
            "version_after": self.version_after,
        }
        # Empty text is written as an empty cell (null), not as "" in quotes.
        row = {name: None if value == "" else value for name, value in row.items()}
        return pl.DataFrame([row], schema=AUDIT.schema, orient="row")


def content_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def version_of(path: Path | None) -> str:
    """A dataset file's version: the start of the SHA-256 of its bytes; empty when there is no file."""
    if path is None or not path.is_file():
        return ""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:VERSION_CHARS]


def row_count(path: Path | None) -> int:
    """Rows in a stored dataset file, counted without loading it (0 when there is none or it cannot be counted)."""
    if path is None or not path.is_file():
        return 0
    try:
        if path.suffix == ".parquet":
            return pl.scan_parquet(path).select(pl.len()).collect().item()
        if path.suffix == ".csv":
            return pl.scan_csv(path, infer_schema=False).select(pl.len()).collect().item()
    except (pl.exceptions.PolarsError, OSError):
        return 0
    return 0  # an .xlsx put there by hand: the store never reads one


def read(frame: pl.DataFrame | None, since: date | None = None) -> pl.DataFrame:
    """Audit rows (as loaded and validated), newest first, from `since` (a UTC date) on; empty when none."""
    rows = frame if frame is not None else pl.DataFrame(schema=AUDIT.schema)
    if since is not None:
        rows = rows.filter(pl.col("at").dt.date() >= since)
    return rows.with_row_index("_order").sort(["at", "_order"], descending=True).drop("_order")


def filtered(
    rows: pl.DataFrame,
    actors: list[str] | None = None,
    actions: list[str] | None = None,
    datasets: list[str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> pl.DataFrame:
    """The rows of the chosen actors, actions and datasets between two UTC dates (inclusive); None = all."""
    keep = pl.lit(True)
    for column, chosen in (("actor", actors), ("action", actions), ("dataset", datasets)):
        if chosen:
            keep &= pl.col(column).is_in(chosen)
    if start is not None:
        keep &= pl.col("at").dt.date() >= start
    if end is not None:
        keep &= pl.col("at").dt.date() <= end
    return rows.filter(keep)


def csv_bytes(rows: pl.DataFrame) -> bytes:
    """Audit rows as CSV, times in UTC to the second (`2026-12-07T20:31:05Z`): the page's download and the CLI's."""
    return rows.write_csv(datetime_format="%Y-%m-%dT%H:%M:%SZ").encode("utf-8")
