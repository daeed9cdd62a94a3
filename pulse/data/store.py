"""The data directory as a store that never loses data: locked, atomic writes with a history to undo.

Every dataset is one file, `<name>.csv` or `<name>.parquet` (an `.xlsx` dropped in by hand is
recognised too). A save copies the current file into `.history/<name>/` first, writes the new
content to a temporary file in the same directory, fsyncs it and renames it over the old one, so
a reader sees either the old or the new file, never half of one. All writers in all processes
take `<root>/.lock` first, so two saves never interleave and a merge never loses an update.

The bundled 2022 sample (marked by its SAMPLE.md) is written only by a writer that was given it by name (a
command's `--data`): live data mixed into it would be measured against its illustrative figures.

The store moves files; it does not know what is in them (loading and validation live elsewhere). It records
every change it makes in the append-only audit (pulse.data.audit), under the same lock, with the actor it was made
for: the person signed in to the dashboard, the user at the shell, or the watcher.
"""

import hashlib
import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import filelock
import polars as pl

from pulse import config
from pulse.data.audit import AUDIT_DATASET, AUDIT_FILE, Actor, Entry, cli_actor, row_count, version_of
from pulse.data.contract import DATASETS, SPACE_SAMPLES, STREAM_SAMPLES, as_utc
from pulse.errors import PulseError

Format = Literal["csv", "parquet"]
WRITABLE: tuple[Format, ...] = ("csv", "parquet")
# Suffixes a dataset file may have; .xlsx is read by the loader but never written by the store.
SUFFIXES = (".csv", ".parquet", ".xlsx")
LOCK_TIMEOUT_S = 30
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.6fZ"
DATE_FORMAT = "%Y-%m-%d"
SAMPLES = {"space_samples": SPACE_SAMPLES, "stream_samples": STREAM_SAMPLES}  # (id, at, count): appended, not merged

_STAMP = "%Y%m%dT%H%M%S.%fZ"
# When each dataset was last saved, as the store recorded it: a file's modification time is reset by a copy,
# a clone or an unzip, and says nothing about when its content was saved.
SAVES = ".saves.json"
_HISTORY_FILE = re.compile(r"^(\d{8}T\d{6}\.\d{6}Z)-(.+)$")
# atomic_write's temp files for a dataset file, its history copy or the record of saves: .<file name>.<random>.tmp
_DATASET_FILE = "(?:{})(?:{})".format("|".join(DATASETS), "|".join(re.escape(s) for s in SUFFIXES))
_TEMP_FILE = re.compile(rf"^\.(?:(?:\d{{8}}T\d{{6}}\.\d{{6}}Z-)?{_DATASET_FILE}|{re.escape(SAVES)})\.[^.]+\.tmp$")
# No path in it: the Data page shows it too, and the server's paths are nobody's business there.
SAMPLE_REFUSAL = (
    f"Nothing was written: this data directory is the bundled 2022 sample (its {config.SAMPLE_MARKER} says so), "
    "and live data must not mix with its illustrative figures. Run the war room on a directory of its own: "
    "python -m pulse watch --config watch.toml --data warroom/, then PULSE_DATA_DIR=warroom make run. "
    "A command writes into the sample only when its --data names it."
)


@dataclass(frozen=True)
class MergeSummary:
    """What a merge did: rows with new keys, rows whose key existed with other values, identical rows."""

    added: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class HistoryEntry:
    """A past version; saved_at is when a newer save replaced it."""

    path: Path
    saved_at: datetime
    size: int


class Store:
    """The dataset files of one data directory."""

    def __init__(self, root: Path, allow_sample: bool = False, actor: Actor | None = None):
        """`allow_sample`: the writer was given `root` by name (a command's --data), so it may write into the
        bundled sample; any other write into it is refused (check_writable). `actor`: whom the audit names for its
        changes (the user at the shell when not given)."""
        self.root = Path(root)
        self.allow_sample = allow_sample
        self.actor = actor if actor is not None else cli_actor()
        self._lock = filelock.FileLock(self.root / ".lock", timeout=LOCK_TIMEOUT_S)

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -- reading the directory ----------------------------------------------------------------

    def path(self, name: str) -> Path | None:
        """The one file holding dataset `name`, or None; two files for one dataset is an error."""
        _check_name(name)
        found = [self.root / f"{name}{s}" for s in SUFFIXES if (self.root / f"{name}{s}").is_file()]
        if len(found) > 1:
            # File names only: this reaches the Data page, where the server's paths are nobody's business.
            raise PulseError(f"both {found[0].name} and {found[1].name} exist in the data directory; keep only one")
        return found[0] if found else None

    def version(self, name: str) -> int:
        """The file's modification time in nanoseconds, or 0 when there is no file (for cache keys)."""
        path = self.path(name)
        return path.stat().st_mtime_ns if path else 0

    def fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        """(file name, mtime_ns, size) of every dataset file: changes whenever any dataset does."""
        found = []
        for name in DATASETS:
            if name == AUDIT_DATASET:
                continue  # a change is recorded there with the dataset it changed: no second reload of the data
            for suffix in SUFFIXES:
                try:
                    stat = (self.root / f"{name}{suffix}").stat()
                except FileNotFoundError:
                    continue
                found.append((f"{name}{suffix}", stat.st_mtime_ns, stat.st_size))
        return tuple(found)

    def last_saved(self, name: str) -> datetime | None:
        """When the store last saved (or undid) dataset `name`; None when it never has (or its record is gone)."""
        _check_name(name)
        stamp = self._saves().get(name)
        try:
            return datetime.strptime(stamp, _STAMP).replace(tzinfo=UTC) if isinstance(stamp, str) else None
        except ValueError:
            return None

    def _saves(self) -> dict:
        try:
            saves = json.loads((self.root / SAVES).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return saves if isinstance(saves, dict) else {}

    def _record_save(self, name: str) -> None:
        """Note the time of a save of `name` (under the lock, after the file is in place)."""
        saves = self._saves() | {name: datetime.now(UTC).strftime(_STAMP)}
        atomic_write(self.root / SAVES, json.dumps(saves, indent=1, sort_keys=True).encode())

    def history(self, name: str) -> list[HistoryEntry]:
        """Past versions of dataset `name`, newest first."""
        _check_name(name)
        folder = self._history_dir(name)
        if not folder.is_dir():
            return []
        entries = []
        for path in folder.iterdir():
            match = _HISTORY_FILE.match(path.name)
            if match is None or not _is_dataset_file(match.group(2), name):
                continue  # temporary files of an interrupted save, or files put there by hand
            saved_at = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
            entries.append(HistoryEntry(path, saved_at, path.stat().st_size))
        return sorted(entries, key=lambda e: e.path.name, reverse=True)

    # -- writing ------------------------------------------------------------------------------

    def check_writable(self) -> None:
        """A PulseError saying what to do instead, for a write into the bundled sample nobody asked for by name."""
        if not self.allow_sample and config.is_sample(self.root):
            raise PulseError(SAMPLE_REFUSAL)

    def save(
        self, name: str, frame: pl.DataFrame, fmt: Format | None = None, *, source: str = "", content_sha256: str = ""
    ) -> Path:
        """Replace dataset `name` with `frame`, atomically, keeping the old file in history; `source` and
        `content_sha256` (the file it came from, and its bytes' SHA-256) go into the audit."""
        _refuse_audit(name)
        with self.locked():
            before = self.path(name)
            removed, version_before = row_count(before), version_of(before)
            path = self._save(name, frame, fmt)
            self._audit(
                Entry(
                    self.actor,
                    "replace",
                    name,
                    rows_added=frame.height,
                    rows_removed=removed,
                    source=source,
                    content_sha256=content_sha256,
                    version_before=version_before,
                    version_after=version_of(path),
                )
            )
            return path

    def replace_bytes(self, name: str, content: bytes | Path, suffix: str) -> Path:
        """Replace dataset `name` with a whole file's `content` (bytes, or a file written in the store's directory)
        of type `suffix`, atomically, keeping the old file in history: for the rollup's Parquet tables."""
        with self.locked():
            return self._write_bytes(name, content, suffix, keep_history=True)

    def remove(self, name: str) -> None:
        """Take dataset `name`'s file away, into history (undo puts it back)."""
        with self.locked():
            current = self.path(name)
            if current is not None:
                self._copy_to_history(name, current)
                _remove(current)
                self._record_save(name)

    def merge(
        self,
        name: str,
        new: pl.DataFrame,
        keys: list[str],
        read_current: Callable[[Path], pl.DataFrame],
        fmt: Format | None = None,
        complete: Callable[[pl.DataFrame, pl.DataFrame], pl.DataFrame] | None = None,
        *,
        source: str = "",
        content_sha256: str = "",
    ) -> MergeSummary:
        """Upsert `new` into dataset `name` by `keys`, reading the current file under the lock.

        `complete(new, current)`, if given, returns the rows to upsert once the current rows are known
        (e.g. to keep stored values the new rows lack); it runs under the lock too. A merge that changed the
        file is audited with `source` and `content_sha256`.
        """
        _refuse_audit(name)
        with self.locked():
            current_path = self.path(name)
            # Read here, under the lock, not by the caller before it: a save by another process
            # between that read and this write would otherwise be lost. `read_current` loads and
            # validates the file into the schema of `new`.
            current = read_current(current_path) if current_path is not None else None
            if complete is not None and current is not None:
                new = complete(new, current)
            merged, summary = upsert(current, new, keys)
            same_format = current_path is not None and (fmt is None or current_path.suffix == f".{fmt}")
            # Nothing changed: no write, so no history entry and no cache invalidation.
            if summary.added or summary.updated or not same_format:
                version_before = version_of(current_path)
                path = self._save(name, merged, fmt)
                self._audit(
                    Entry(
                        self.actor,
                        "merge",
                        name,
                        rows_added=summary.added,
                        rows_updated=summary.updated,
                        source=source,
                        content_sha256=content_sha256,
                        version_before=version_before,
                        version_after=version_of(path),
                    )
                )
            return summary

    def undo(self, name: str) -> Path:
        """Put back the newest history version of `name` (it leaves history; the replaced one is dropped)."""
        _refuse_audit(name)
        with self.locked():
            entries = self.history(name)
            if not entries:
                raise PulseError(f"nothing to undo for {name}")
            entry = entries[0]
            target = self.root / _HISTORY_FILE.match(entry.path.name).group(2)
            current = self.path(name)
            removed, version_before = row_count(current), version_of(current)
            try:
                # A rename within one file system is atomic and moves the bytes unchanged, and it
                # removes the entry from history in the same step.
                os.replace(entry.path, target)
                _fsync_dir(self.root)
                _fsync_dir(entry.path.parent)
            except OSError as error:
                raise PulseError(f"could not undo {name}: {error.strerror or error}") from error
            if current is not None and current != target:
                _remove(current)  # the restored version had another format
            self._record_save(name)
            self._audit(
                Entry(
                    self.actor,
                    "undo",
                    name,
                    rows_added=row_count(target),
                    rows_removed=removed,
                    version_before=version_before,
                    version_after=version_of(target),
                )
            )
            return target

    def record(self, action: str, dataset: str, source: str = "") -> None:
        """Audit a change made outside the store's own writes (a tracker started or stopped), under its lock."""
        _check_name(dataset)
        with self.locked():
            version = version_of(self.path(dataset))
            self._audit(
                Entry(self.actor, action, dataset, source=source, version_before=version, version_after=version)
            )

    def append_samples(self, subject_id: str, at: datetime, count: int, dataset: str = "space_samples") -> Path:
        """Add one (id, at, count) row to a samples dataset (a Space's listeners, a stream's viewers), atomically,
        without history."""
        # No history for samples: a tracker writes one every few seconds, and copying the whole
        # file into history each time would grow history with the square of the samples. The
        # atomic rewrite alone bounds a crash to losing the one sample in flight.
        contract = SAMPLES[dataset]
        if count < 0:
            raise PulseError(f"{contract.names[2]} cannot be negative (got {count} for {subject_id})")
        row = pl.DataFrame([(subject_id, as_utc(at), count)], schema=contract.schema, orient="row")
        with self.locked():
            current = self.path(dataset)
            if current is not None and current.suffix == ".parquet":
                frame = pl.concat([pl.read_parquet(current), row], how="vertical_relaxed")
                return self._write(dataset, frame, "parquet", keep_history=False)
            if current is not None and current.suffix != ".csv":
                raise PulseError(f"{current.name}: samples can only be added to a .csv or .parquet file")
            # CSV: append the bytes of the new line to the existing bytes, leaving earlier lines
            # exactly as they were written.
            existing = current.read_bytes() if current is not None else b""
            if existing.strip():
                header, expected = existing.split(b"\n", 1)[0].decode("utf-8-sig").strip(), ",".join(contract.names)
                if header != expected:
                    raise PulseError(
                        f"{current.name} starts with '{header}', expected '{expected}'; fix the header before tracking"
                    )
                if not existing.endswith(b"\n"):
                    existing += b"\n"
                content = existing + _csv_bytes(row, header=False)
            else:
                content = _csv_bytes(row, header=True)
            return self._write_bytes(dataset, content, ".csv", keep_history=False)

    # -- internals ----------------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's lock, as every writer does (a PulseError when it stays busy, or is the sample)."""
        self.check_writable()
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                self._remove_leftovers()
                yield
        except filelock.Timeout:
            raise PulseError(
                f"the data directory is busy: another save has held it for {LOCK_TIMEOUT_S} s; try again in a moment"
            ) from None

    def audit(self, entry: Entry) -> None:
        """Audit a change to a store file outside the dataset registry (display links), under the lock."""
        self._audit(entry)

    def _audit(self, entry: Entry) -> None:
        """Append `entry` to the audit (under the lock): the earlier rows' bytes stay exactly as written."""
        path = self.root / AUDIT_FILE
        existing = path.read_bytes() if path.is_file() else b""
        if existing and not existing.endswith(b"\n"):
            existing += b"\n"
        row = _csv_bytes(entry.frame(datetime.now(UTC)), header=not existing.strip())
        try:
            atomic_write(path, existing + row)
        except OSError as error:
            raise PulseError(f"the change was made but could not be audited: {error.strerror or error}") from error

    def _history_dir(self, name: str) -> Path:
        return self.root / ".history" / name

    def _save(self, name: str, frame: pl.DataFrame, fmt: Format | None) -> Path:
        if fmt is not None and fmt not in WRITABLE:
            raise PulseError(f"cannot save {name} as {fmt!r}: use csv or parquet")
        current = self.path(name)
        if fmt is None:
            # Keep the format the analyst chose; a new dataset (or a hand-made .xlsx) becomes CSV.
            fmt = current.suffix[1:] if current is not None and current.suffix[1:] in WRITABLE else "csv"
        return self._write(name, frame, fmt, keep_history=True)

    def _write(self, name: str, frame: pl.DataFrame, fmt: Format, keep_history: bool) -> Path:
        try:
            content = _csv_bytes(frame, header=True) if fmt == "csv" else parquet_bytes(frame)
        except pl.exceptions.PolarsError as error:
            reason = str(error).splitlines()[0]
            raise PulseError(f"could not write {name} as {fmt}: {reason}") from error
        return self._write_bytes(name, content, f".{fmt}", keep_history)

    def _write_bytes(self, name: str, content: bytes | Path, suffix: str, keep_history: bool) -> Path:
        """Write under the lock: history copy, temp file (or the file given), fsync, rename, drop an old format."""
        current = self.path(name)
        target = self.root / f"{name}{suffix}"
        saved = self._copy_to_history(name, current) if keep_history and current is not None else None
        try:
            atomic_write(target, content)
        except OSError as error:
            if saved is not None:
                # The current file is untouched, so its history copy would only make the next
                # undo look like it did nothing.
                _remove(saved)
            raise PulseError(f"could not save {target.name}: {error.strerror or error}") from error
        if current is not None and current != target:
            # Only now that the new file is in place; the old one is in history already.
            _remove(current)
        if saved is not None:
            for old in self.history(name)[config.history_versions() :]:
                _remove(old.path)
        if keep_history:  # a save; samples appended every few seconds are not (their file's time says enough)
            self._record_save(name)
        return target

    def _remove_leftovers(self) -> None:
        """Delete the temp files of a save that crashed; under the lock, when no save can be writing one."""
        folders = [self.root, *(self._history_dir(name) for name in DATASETS)]
        for folder in folders:
            for path in folder.glob(".*.tmp"):
                if _TEMP_FILE.match(path.name) and path.is_file():
                    _remove(path)

    def _copy_to_history(self, name: str, current: Path) -> Path:
        folder = self._history_dir(name)
        folder.mkdir(parents=True, exist_ok=True)
        entries = self.history(name)
        stamp = datetime.now(UTC)
        if entries and entries[0].saved_at >= stamp:
            # History is ordered by its time stamps: keep them strictly increasing even if two
            # saves fall in one microsecond or the clock steps back.
            stamp = entries[0].saved_at + timedelta(microseconds=1)
        destination = folder / f"{stamp.strftime(_STAMP)}-{current.name}"
        try:
            # Copy, never hard-link: an editor that saves in place would change history too.
            atomic_write(destination, current.read_bytes())
            shutil.copystat(current, destination)
        except OSError as error:
            raise PulseError(
                f"could not keep a copy of {current.name} in history, so nothing was saved: {error.strerror or error}"
            ) from error
        return destination


def command_store(named: Path | None, actor: Actor | None = None) -> Store:
    """The store a command writes into, checked before it fetches anything: `--data` when given (naming the sample
    there is asking for it), else PULSE_DATA_DIR or data/, refused if that is the sample. `actor`: whom the audit
    names (the user at the shell when not given)."""
    store = Store(named if named is not None else config.data_dir(), allow_sample=named is not None, actor=actor)
    store.check_writable()
    return store


def upsert(current: pl.DataFrame | None, new: pl.DataFrame, keys: list[str]) -> tuple[pl.DataFrame, MergeSummary]:
    """`current` with `new` upserted by `keys`: replaced rows stay in place, new keys are appended."""
    if not keys:
        raise PulseError("a merge needs at least one key column")
    missing = [k for k in keys if k not in new.columns]
    if missing:
        raise PulseError(f"the new rows have no key column(s) {', '.join(missing)}")
    if new.select(pl.any_horizontal(pl.col(keys).is_null()).any()).item():
        raise PulseError(f"some new rows have an empty key ({', '.join(keys)})")
    repeated = new.filter(pl.struct(keys).is_duplicated())
    if repeated.height:
        first = ", ".join(f"{k}={v}" for k, v in zip(keys, repeated.select(keys).row(0), strict=True))
        raise PulseError(f"the new rows repeat a key ({first}); each key may appear once")
    if current is None:
        return new, MergeSummary(added=new.height, updated=0, unchanged=0)
    if set(current.columns) != set(new.columns):
        only_new = sorted(set(new.columns) - set(current.columns))
        only_old = sorted(set(current.columns) - set(new.columns))
        raise PulseError(
            "the new rows do not have the columns of the stored data "
            f"(only in the new rows: {only_new or 'none'}; only in the stored data: {only_old or 'none'})"
        )
    try:
        new = new.select(current.columns).cast(current.schema)
    except pl.exceptions.PolarsError as error:
        raise PulseError(f"the new rows do not fit the stored columns: {str(error).splitlines()[0]}") from error

    added = new.join(current, on=keys, how="anti")
    existing = new.join(current, on=keys, how="semi")
    # A row is unchanged when every column, keys included, matches (empty cells match each other).
    unchanged = existing.join(current, on=current.columns, how="semi", nulls_equal=True).height
    merged = pl.concat(
        [current.update(new, on=keys, how="left", include_nulls=True), added],
        how="vertical",
    )
    return merged, MergeSummary(added=added.height, updated=existing.height - unchanged, unchanged=unchanged)


def _refuse_audit(name: str) -> None:
    if name == AUDIT_DATASET:
        raise PulseError("the audit only grows: no page or command can replace, merge into or undo it")


def _check_name(name: str) -> None:
    # Also what keeps a name like '../x' from reaching the file system.
    if name not in DATASETS:
        raise PulseError(f"unknown dataset {name!r}: expected one of {', '.join(DATASETS)}")


def _is_dataset_file(file_name: str, name: str) -> bool:
    return any(file_name == f"{name}{s}" for s in SUFFIXES)


def _csv_bytes(frame: pl.DataFrame, header: bool) -> bytes:
    """CSV with times as ISO 8601 UTC ('...T17:00:00.000000Z') and dates as YYYY-MM-DD."""
    # The format writes a literal Z, so zoned columns must be converted to UTC first; naive
    # columns are UTC already by the data contract.
    utc = frame.with_columns(
        pl.col(c).dt.convert_time_zone("UTC")
        for c, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    )
    text = utc.write_csv(include_header=header, datetime_format=DATETIME_FORMAT, date_format=DATE_FORMAT)
    return text.encode("utf-8")


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    """A frame as the bytes of a Parquet file (written whole with atomic_write)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def atomic_write(target: Path, content: bytes | Path) -> None:
    """Write `content` to a temp file next to `target` (or take a file of that folder), fsync it, rename it over."""
    moved = isinstance(content, Path)
    fresh = None if moved else tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    handle, temp = fresh or (os.open(content, os.O_RDONLY), str(content))
    try:
        # mkstemp makes a file 0600 whatever the umask, and a rename keeps that: give it a new file's mode.
        os.chmod(temp, 0o666 & ~_umask())
        with os.fdopen(handle, "rb" if moved else "wb") as file:
            if not moved:
                file.write(content)
                file.flush()
            os.fsync(file.fileno())
        os.replace(temp, target)
        _fsync_dir(target.parent)
    finally:
        # After a successful rename the temp name is gone; after a failure it must not linger.
        Path(temp).unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask, read without changing it where the system can say (Linux)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    found = re.search(r"^Umask:\s*([0-7]+)$", status, re.MULTILINE)
    if found:
        return int(found.group(1), 8)
    # Elsewhere the only way is to set it and put it back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable; not possible (nor needed) on Windows."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)


# The rollup's record of what it read and wrote (pulse.rollup), beside the tables it wrote.
MANIFEST = "rollup-manifest.json"


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def file_digest(path: Path) -> str:
    """digest() of a file's bytes, read in blocks (a table may be large)."""
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def rollup_wrote(path: Path) -> bool:
    """Whether `path` holds bytes the rollup wrote there, as the manifest beside it records them: its last run's
    outputs, or those of a run stopped while it replaced them (the manifest names them before the first rename)."""
    try:
        manifest = json.loads((path.parent / MANIFEST).read_text())
        recorded = [manifest.get(part, {}).get(path.name) for part in ("outputs", "writing")]
        return file_digest(path) in recorded
    except (OSError, ValueError, AttributeError):
        return False
