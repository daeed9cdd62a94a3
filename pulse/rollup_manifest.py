"""The rollup's manifest, and what the rollup may write: its record of the input files it read and the tables it
wrote (pulse.rollup), checked before it is trusted, and the rule that it replaces only tables it wrote itself.

A data directory may hold tables the rollup did not write: a raw-tweets `hashtags.parquet` from `pulse generate`,
counts `pulse watch` merged in, a file an analyst saved. Replacing them would destroy data no rerun can bring back
(X serves counts for the last 7 days only), so the rollup writes a table only where there is none, or where the
file holds bytes the manifest says it wrote. It writes through the store: under its lock, atomically, the previous
version kept in history.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pulse.data.store import MANIFEST, Store, atomic_write, digest, file_digest, rollup_wrote
from pulse.errors import PulseError

MANIFEST_VERSION = 3  # 3: hashtag_author_days; an older rollup is rebuilt from scratch, so that it is complete
# The datasets the rollup writes, as Parquet files.
TABLES = ("hashtags", "hashtag_authors", "hashtag_author_days")
# The largest manifest read: one entry of a few hundred bytes per input file (plus its spellings).
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
LAYOUT = "see 'A war room with a live feed and an archive' in the README"


@dataclass(frozen=True)
class Seen:
    """What a run learnt of one input file; the manifest keeps one per file."""

    path: str
    size: int
    mtime_ns: int
    rows: int
    first_day: str | None  # the local days it holds, ISO dates; None when it has no rows
    last_day: str | None
    authors: bool  # it has an author_id column
    # How many rows write each hashtag each way (tidied: no spaces, no '#'). A hashtag is shown as the spelling
    # most rows of the whole archive use, as the loader shows it; counted per file, so that a rerun can
    # subtract a changed or removed file's rows and add a new one's without reading the others.
    spellings: dict[str, int]

    def days(self) -> set[date]:
        if self.first_day is None:
            return set()
        first, last = date.fromisoformat(self.first_day), date.fromisoformat(self.last_day)
        return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _day(value: object) -> bool:
    try:
        return value is None or (isinstance(value, str) and len(value) == 10 and bool(date.fromisoformat(value)))
    except ValueError:
        return False


# Each field of a manifest's file entry, and the test its value must pass.
FIELDS = {
    "path": lambda v: isinstance(v, str),
    "size": _whole,
    "mtime_ns": _whole,
    "rows": _whole,
    "first_day": _day,
    "last_day": _day,
    "authors": lambda v: isinstance(v, bool),
    "spellings": lambda v: isinstance(v, dict) and all(isinstance(k, str) and _whole(n) for k, n in v.items()),
}


def damaged(out: Path, what: str) -> PulseError:
    return PulseError(
        f"{out / MANIFEST} is damaged ({what}): the rollup cannot tell what it read and wrote. Move the manifest "
        "and the tables it names (hashtags.parquet, hashtag_authors.parquet, hashtag_author_days.parquet) away, "
        "then roll up again from scratch"
    )


def load_manifest(out: Path) -> dict | None:
    """DIR's manifest as written, None when there is none; a PulseError when it is not one the rollup wrote."""
    path = out / MANIFEST
    try:
        if not path.is_file():
            return None
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise damaged(out, f"larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MB")
        manifest = json.loads(path.read_bytes())
    except OSError as error:
        raise PulseError(f"could not read {path}: {error.strerror or error}") from None
    except (ValueError, RecursionError):
        raise damaged(out, "not JSON") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("outputs"), dict):
        raise damaged(out, "no table of outputs")
    names = {f"{name}.parquet" for name in TABLES}
    if not all(k in names and isinstance(v, str) for k, v in manifest["outputs"].items()):
        raise damaged(out, "an output that is not one of its tables and a digest")
    return manifest


def seen_files(out: Path, manifest: dict | None, tz: str) -> dict[str, Seen] | None:
    """The previous run's files, when its manifest is for `tz` and the outputs are the ones it wrote; else None
    (the run rebuilds everything). A file entry of the wrong shape is a PulseError naming it."""
    if manifest is None or manifest.get("version") != MANIFEST_VERSION or manifest.get("tz") != tz:
        return None
    files = manifest.get("files")
    if not isinstance(files, list):
        raise damaged(out, "'files' is not a list")
    for i, entry in enumerate(files):
        if not isinstance(entry, dict) or set(entry) != set(FIELDS):
            raise damaged(out, f"files[{i}] does not have the fields {', '.join(FIELDS)}")
        wrong = [name for name, test in FIELDS.items() if not test(entry[name])]
        if wrong:
            raise damaged(out, f"files[{i}].{wrong[0]} is not {_meaning(wrong[0])}")
        if (entry["first_day"] is None) != (entry["last_day"] is None) or (entry["first_day"] or "") > (
            entry["last_day"] or ""
        ):
            raise damaged(out, f"files[{i}] has its days out of order")
    for name, recorded in manifest["outputs"].items():
        try:
            if file_digest(out / name) != recorded:
                return None  # a run stopped between two renames, or a hand edit: start afresh
        except OSError:
            return None
    return {f["path"]: Seen(**f) for f in files}


def _meaning(field: str) -> str:
    return {
        "path": "text",
        "authors": "true or false",
        "first_day": "a date (YYYY-MM-DD) or null",
        "last_day": "a date (YYYY-MM-DD) or null",
        "spellings": "a table of hashtag spellings and counts",
    }.get(field, "a whole number")


def check_owned(store: Store) -> None:
    """A PulseError, unless each table the rollup writes is absent or holds bytes the rollup wrote there."""
    for name in TABLES:
        current = store.path(name)
        if current is None or (current.suffix == ".parquet" and rollup_wrote(current)):
            continue
        raise PulseError(
            f"{current.name} in {store.root} was not written by the rollup (it may be raw tweets, or counts "
            f"`pulse watch` or an analyst saved), and the rollup would replace it: nothing was written. Roll up "
            f"into a directory of its own, or move it away ({LAYOUT})"
        )


def output_digest(content: bytes | Path) -> str:
    """The digest of an output's bytes, held in memory or written to a staging file."""
    return file_digest(content) if isinstance(content, Path) else digest(content)


def write_outputs(store: Store, outputs: dict[str, bytes | Path], manifest: dict, expected: bytes | None) -> list[Path]:
    """Replace the outputs through the store (each atomically, the previous version in history), then the manifest
    that names them, all under the store's lock.

    Nothing is written when the manifest would not change (its digests cover the outputs): the dashboard's cache
    stays warm; nor a table whose bytes are unchanged. `expected` is the manifest this run started from: another
    run's is not overwritten. Before the first rename the manifest names the new bytes as "writing", so that a run
    stopped between two renames leaves tables the next run knows as its own (and rebuilds, as they disagree).
    """
    out = store.root
    final = json.dumps(manifest, indent=1).encode()
    try:
        with store.locked():
            current = (out / MANIFEST).read_bytes() if (out / MANIFEST).is_file() else None
            if current != expected:
                raise PulseError(f"another rollup into {out} finished while this one ran; run it again")
            check_owned(store)  # again, under the lock: `pulse watch` may have saved counts since the run began
            if current == final:
                return []
            before = load_manifest(out) or {k: manifest[k] for k in ("version", "tz", "raw")} | {"files": []}
            before = {"outputs": {}} | before | {"writing": manifest["outputs"]}
            atomic_write(out / MANIFEST, json.dumps(before, indent=1).encode())
            written = []
            for name, content in outputs.items():
                target = out / name
                if not (target.is_file() and file_digest(target) == manifest["outputs"][name]):
                    written.append(store.replace_bytes(target.stem, content, target.suffix))
            for name in TABLES:
                if f"{name}.parquet" not in outputs:
                    store.remove(name)  # no input has author ids any more: a stale table would mislead
            atomic_write(out / MANIFEST, final)
    except OSError as error:
        raise PulseError(f"could not write the rollup into {out}: {error.strerror or error}") from error
    return [*written, out / MANIFEST]
