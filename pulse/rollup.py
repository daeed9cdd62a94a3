"""The raw archive at any size: raw tweets rolled up, incrementally, into the small tables the dashboard reads.

`python -m pulse rollup --raw PATH --out DIR` reads raw-tweets files (a file, a directory, a hive-partitioned
dataset or a glob) and writes into DIR the tables the loader computes from raw rows (pulse.data.tweets.aggregate):
`hashtags.parquet` in the counts form (tweets per local hour, as its UTC start) and `hashtag_authors.parquet`
(distinct authors per local day); and `hashtag_author_days.parquet` (each author's distinct tweets per local day),
which "Who drives it" sums over a date range instead of reading raw rows. Distinct counts cannot be added up, so the
work is cut by local day: a batch of whole days reads every row of those days from every file that holds some, which
bounds memory by the rows of a batch (not of the archive) and keeps the counts exact. A manifest in DIR records each
input file's size, modification time and the local days it holds; a rerun reads only the new and changed files' days
(and a removed file's), and replaces exactly those days in the tables. It also counts each file's hashtag spellings:
a hashtag is written the way most rows of the whole archive write it, as the loader shows it, so a new file can
respell old days without their rows being read. The outputs and the manifest are replaced under the store's lock,
each atomically, and the manifest names the bytes of the outputs it describes: a run interrupted at any point leaves
a state the next run recognises (or rebuilds from scratch).
"""

import glob
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pulse.data.contract import (
    HASHTAG_AUTHOR_DAYS,
    HASHTAG_AUTHORS,
    HASHTAG_COUNTS,
    HASHTAG_TWEETS,
    local_date,
    normalise_hashtag,
    shown_spellings,
    tidy_hashtag,
)
from pulse.data.store import MANIFEST, Store, atomic_write, digest, parquet_bytes
from pulse.data.tweets import (
    REQUIRED,
    aggregate,
    compact_ids,
    pair_key,
    pair_names,
    rank_values,
    report_broken_rows,
    row_columns,
    time_keys,
    tweet_count,
)
from pulse.data.validation import validate
from pulse.errors import Problem, PulseError, ValidationError

COUNTS_FILE = "hashtags.parquet"
AUTHORS_FILE = "hashtag_authors.parquet"
AUTHOR_DAYS_FILE = "hashtag_author_days.parquet"
RAW_SUFFIXES = (".parquet", ".csv")
# Rows per batch of whole days: the distinct (day, party, hashtag, author) keys of one batch are in memory at
# once, about 0.1 GiB per million rows on the generated data; 12M rows keep the polars engine near 1.5 GiB.
BATCH_ROWS = 12_000_000
MANIFEST_VERSION = 3  # 3: hashtag_author_days; an older rollup is rebuilt from scratch, so that it is complete
# A batch reads a little around its days' UTC range, in case a clock change falls at midnight.
SLACK = timedelta(hours=3)
COUNTS_ORDER = ("period_start", "party", "hashtag")
AUTHORS_ORDER = ("date", "party", "hashtag")
AUTHOR_DAYS_ORDER = ("date", "party", "hashtag", "author_id")


@dataclass(frozen=True)
class RawFile:
    """One input file as found now: its path, the name reports give it, and what tells a change."""

    path: Path
    label: str
    size: int
    mtime_ns: int


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


@dataclass(frozen=True)
class Result:
    """What a run did."""

    files: int  # input files in all
    read: int  # files read again (new, changed, or holding a recomputed day)
    days: int  # local days recomputed
    rows: int  # rows aggregated
    written: list[Path]


@dataclass(frozen=True)
class Rolled:
    """One batch of local days rolled up: counts form, unique authors and author days (None without author
    ids), rows counted."""

    counts: pl.DataFrame
    authors: pl.DataFrame | None
    rows: int
    author_days: pl.DataFrame | None = None


# An engine rolls up (files, local days, tz); None when a row has a blank party or hashtag. The polars engine
# here and the Spark one (pulse.spark_rollup) give the same frames.
Engine = Callable[[list[RawFile], list[date], str], Rolled | None]


def find_raw(raw: str, out: Path) -> list[RawFile]:
    """The raw-tweets files `raw` names (file, directory searched recursively, or glob), sorted; never DIR's own."""
    given = Path(raw)
    if given.is_file():
        paths, root = [given], given.parent
    elif given.is_dir():
        paths, root = [p for p in given.rglob("*") if p.is_file()], given
    else:
        paths = [Path(p) for p in glob.glob(raw, recursive=True) if Path(p).is_file()]
        fixed = list(itertools.takewhile(lambda part: not glob.has_magic(part), given.parts))
        root = Path(*fixed) if fixed else Path()
    own = out.resolve()
    found = []
    for path in sorted(paths):
        relative = path.relative_to(root)
        # Hidden and underscored names are temporary or bookkeeping files (ours, Spark's _SUCCESS, editors').
        if path.suffix.lower() not in RAW_SUFFIXES or any(p[:1] in "._" for p in relative.parts):
            continue
        resolved = path.resolve()
        if resolved.parent == own:
            continue  # the rollup's own outputs, when DIR is inside PATH
        stat = resolved.stat()
        found.append(RawFile(resolved, str(relative), stat.st_size, stat.st_mtime_ns))
    if not found:
        raise PulseError(f"no raw-tweets files (.parquet or .csv) found at {raw}")
    return found


def scan(file: RawFile) -> pl.LazyFrame:
    """A raw-tweets file, lazily, as written (CSV cells as text)."""
    if file.path.suffix.lower() == ".parquet":
        return pl.scan_parquet(file.path)
    return pl.scan_csv(file.path, infer_schema=False, encoding="utf8")


def raw_rows(file: RawFile) -> tuple[pl.LazyFrame, bool]:
    """The file's rows as the loader's fast reader takes them: created_at (UTC), party and hashtag (categoricals,
    as written), author_id where the file has one, and tweet_id (as text) with it; and whether it has an
    author_id. Only the header is read here.
    """
    try:
        source = scan(file)
        schema = source.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise _unreadable(file, error) from None
    if not set(REQUIRED) <= set(schema.names()):
        validate(pl.DataFrame(schema=dict(schema)), HASHTAG_TWEETS, file.label)  # raises: a missing column
    columns, _ = row_columns(schema)
    if columns is None:
        # Types the fast reader does not take (a number for a time, say): the validator says which cells.
        validate(source.head(1000).collect(), HASHTAG_TWEETS, file.label, *_first_line(file))
        raise ValidationError([Problem(file.label, None, None, None, f"unsupported column types: {dict(schema)}")])
    if "author_id" in schema and "tweet_id" in schema:
        columns.append(pl.col("tweet_id").cast(pl.String))
    return source.select(columns), "author_id" in schema


def _first_line(file: RawFile) -> tuple[int, str]:
    return (1, "row") if file.path.suffix.lower() == ".parquet" else (2, "line")


def _unreadable(file: RawFile, error: Exception) -> ValidationError:
    reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    return ValidationError([Problem(file.label, None, None, None, f"could not be read: {reason}")])


def profile(file: RawFile, tz: str) -> Seen:
    """Check a new or changed file's rows and learn which local days it holds.

    A broken row (an empty or unparsable time, a count that is not a whole number or is negative) raises the
    validator's report: file, row or line, column, value. Blank parties and hashtags would cost a read of
    both text columns here, so the aggregation finds them instead and the same report follows.
    """
    rows, authors = raw_rows(file)
    try:
        source = scan(file)
        _, broken = row_columns(source.collect_schema())
        if source.filter(broken).select(pl.len()).collect().item():
            report_broken_rows(file.path, file.label)
        at = pl.col("created_at")
        count, first, last = rows.select(pl.len(), at.min().alias("first"), at.max().alias("last")).collect().row(0)
        written = rows.group_by("hashtag").agg(pl.len().alias("uses")).collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise _unreadable(file, error) from None
    spellings = (
        written.select(tidy_hashtag(pl.col("hashtag").cast(pl.String)).alias("spelling"), "uses")
        .group_by("spelling")
        .agg(pl.col("uses").sum())
        .sort("spelling")
    )
    ends = pl.DataFrame({"at": [first, last]}, schema={"at": pl.Datetime("us", "UTC")})
    first_day, last_day = ends.select(local_date(pl.col("at"), tz)).to_series().to_list()
    return Seen(
        str(file.path),
        file.size,
        file.mtime_ns,
        count,
        None if first_day is None else first_day.isoformat(),
        None if last_day is None else last_day.isoformat(),
        authors,
        dict(spellings.drop_nulls().iter_rows()),
    )


def utc_range(days: list[date], tz: str) -> tuple[datetime, datetime]:
    """UTC times that enclose the local days `days` in `tz`, with slack for a clock change at midnight."""
    zone = ZoneInfo(tz)
    first = datetime.combine(min(days), time(), zone).astimezone(UTC) - SLACK
    return first, datetime.combine(max(days) + timedelta(days=1), time(), zone).astimezone(UTC) + SLACK


def polars_engine(files: list[RawFile], days: list[date], tz: str) -> Rolled | None:
    """The rollup of local `days` from every row of `files`, aggregated as the loader aggregates raw tweets.

    The batch's rows (its UTC range, pruned by Parquet statistics) are read by polars' streaming engine, only
    the four columns; pulse.data.tweets.aggregate then counts them. None when a party or hashtag is blank.
    """
    low, high = utc_range(days, tz)
    parts = [raw_rows(f)[0].filter(pl.col("created_at").is_between(low, high, closed="left")) for f in files]
    rows = pl.concat(parts, how="diagonal_relaxed").collect(engine="streaming")
    aggregated = aggregate(rows, tz)
    if aggregated is None:
        return None
    # Hashtags as their keys: the spelling shown is chosen over the whole archive once every batch is in.
    counts, authors = (None if f is None else f.with_columns(normalise_hashtag(pl.col("hashtag"))) for f in aggregated)
    wanted = pl.Series(days, dtype=pl.Date).implode()
    counts = counts.filter(local_date(pl.col("period_start"), tz).is_in(wanted))
    if authors is not None:
        authors = authors.filter(pl.col("date").is_in(wanted)).rename({"unique_authors": "authors"})
    authors = None if authors is None else authors_table(authors)
    days_table = None if authors is None else author_days_table(author_days(rows, tz, wanted))
    return Rolled(counts_table(counts), authors, int(counts["tweets"].sum()), days_table)


def author_days(rows: pl.DataFrame, tz: str, wanted: pl.Expr) -> pl.DataFrame:
    """Each author's distinct tweets (pulse.data.tweets.tweet_count) per local day, party and hashtag key, of rows
    with an author_id column; a blank author is null, and holds the tweets without one. Days in `wanted` only.

    Keyed as pulse.data.tweets.aggregate keys its tables: one integer per (local day, party, hashtag) from the
    categoricals' few spellings and the hour table, ids as integers where exact; no text is touched per row.
    """
    rows = rows.with_columns(pl.col("hashtag", "party").cast(pl.Categorical))
    key = pair_key(rows)
    _, day, _ = time_keys(rows, tz)
    n_pairs = key.n_pairs

    def ids(column: str) -> pl.Series:
        if column not in rows.columns:
            return pl.Series(column, [None] * rows.height, dtype=pl.String)
        found = compact_ids(rows[column])
        return found if found.dtype.is_integer() else found.replace("", None)

    per_author = (
        rows.lazy()
        .select(
            (day.cast(pl.Int64) * n_pairs + key.pair).alias("__key"),
            pl.lit(ids("author_id")).alias("author_id"),
            pl.lit(ids("tweet_id")).alias("tweet_id"),
        )
        .group_by("__key", "author_id")
        .agg(tweet_count().alias("tweets"))
    )
    return (
        per_author.select(
            (pl.col("__key") // n_pairs).cast(pl.Int32).cast(pl.Date).alias("date"),
            *pair_names(pl.col("__key") % n_pairs, key.n_tags, rank_values(key.tags), rank_values(key.parties)),
            pl.col("author_id").cast(pl.String),
            "tweets",
        )
        .filter(pl.col("date").is_in(wanted))
        .collect()
    )


def counts_table(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(HASHTAG_COUNTS.names).cast(HASHTAG_COUNTS.schema).sort(COUNTS_ORDER)


def authors_table(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(HASHTAG_AUTHORS.names).cast(HASHTAG_AUTHORS.schema).sort(AUTHORS_ORDER)


def author_days_table(frame: pl.DataFrame) -> pl.DataFrame:
    schema = HASHTAG_AUTHOR_DAYS.schema
    return frame.select(HASHTAG_AUTHOR_DAYS.names).cast(schema).sort(AUTHOR_DAYS_ORDER, nulls_last=False)


def batches(days: set[date], seen: list[Seen], limit: int = BATCH_ROWS) -> Iterator[list[date]]:
    """Days in order, in batches of about `limit` rows (each file's rows spread evenly over its days)."""
    per_day: dict[date, float] = dict.fromkeys(days, 0.0)
    for s in seen:
        held = s.days() & days
        for day in held:
            per_day[day] += s.rows / len(s.days())
    batch, rows = [], 0.0
    for day in sorted(days):
        if batch and rows + per_day[day] > limit:
            yield batch
            batch, rows = [], 0.0
        batch.append(day)
        rows += per_day[day]
    if batch:
        yield batch


def read_manifest(out: Path, tz: str) -> dict[str, Seen] | None:
    """The previous run's files, when its manifest is for `tz` and the outputs are the ones it wrote; else None."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        if manifest["version"] != MANIFEST_VERSION or manifest["tz"] != tz:
            return None
        for name, recorded in manifest["outputs"].items():
            if digest((out / name).read_bytes()) != recorded:
                return None  # a run stopped between two renames, or a hand edit: start afresh
        return {f["path"]: Seen(**f) for f in manifest["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _previous(out: Path, name: str, schema: dict) -> pl.DataFrame:
    path = out / name
    return pl.read_parquet(path) if path.is_file() else pl.DataFrame(schema=schema)


def plan(
    files: list[RawFile], before: dict[str, Seen], tz: str, say: Callable[[str], None]
) -> tuple[list[Seen], set[date]]:
    """Every input file as seen now (new and changed ones checked and profiled), and the local days to recompute."""
    seen, changed = [], set()
    for i, file in enumerate(files, 1):
        old = before.get(str(file.path))
        if old is not None and (old.size, old.mtime_ns) == (file.size, file.mtime_ns):
            seen.append(old)
            continue
        new = profile(file, tz)
        seen.append(new)
        changed |= new.days() | (old.days() if old is not None else set())
        say(f"checked {i}/{len(files)} files: {file.label}, {new.rows:,} rows")
    for path in before.keys() - {s.path for s in seen}:
        changed |= before[path].days()  # a removed file: its days are recomputed without it
        say(f"removed since the last run: {path}")
    if not before:
        changed = set().union(*(s.days() for s in seen))
    return seen, changed


def rollup(
    raw: str,
    out: Path,
    tz: str,
    engine: Engine = polars_engine,
    progress: Callable[[str], None] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Result:
    """Bring DIR's rollup up to date with the raw files at `raw`; see the module's docstring."""
    say = progress or (lambda text: None)
    out.mkdir(parents=True, exist_ok=True)
    store = Store(out, allow_sample=True)  # --out is always named by the caller, even when it is the sample
    for name in ("hashtags", "hashtag_authors", "hashtag_author_days"):
        current = store.path(name)
        if current is not None and current.suffix != ".parquet":
            raise PulseError(f"{current} is not the rollup's: move it away so that {name}.parquet can be written")
    manifest_bytes = (out / MANIFEST).read_bytes() if (out / MANIFEST).is_file() else None
    files = find_raw(raw, out)
    before = read_manifest(out, tz) or {}
    seen, changed = plan(files, before, tz, say)
    by_path = {str(f.path): f for f in files}
    total = sum(s.rows for s in seen if s.days() & changed)
    counts, authors, author_day_parts, done, read = [], [], [], 0, set()
    for batch in batches(changed, seen, batch_rows):
        inputs = [by_path[s.path] for s in seen if s.days() & set(batch)]
        rolled = engine(inputs, batch, tz) if inputs else None
        if inputs and rolled is None:  # a blank party or hashtag: the validator's report names file, row, column
            for file in inputs:
                report_broken_rows(file.path, file.label)
            raise PulseError(f"a row with an empty party or hashtag in {', '.join(f.label for f in inputs)}")
        if rolled is None:
            continue
        counts.append(rolled.counts)
        if rolled.authors is not None:
            authors.append(rolled.authors)
        if rolled.author_days is not None:
            author_day_parts.append(rolled.author_days)
        read |= {f.path for f in inputs}
        done += rolled.rows
        say(f"days {batch[0]} to {batch[-1]}: {len(inputs)} files read, {done:,} of about {total:,} rows done")
    recomputed = pl.Series(sorted(changed), dtype=pl.Date).implode()
    shown = spelled(seen)
    kept = None
    if before:
        kept = _previous(out, COUNTS_FILE, HASHTAG_COUNTS.schema)
        kept = kept.filter(~local_date(pl.col("period_start"), tz).is_in(recomputed))
    outputs = {COUNTS_FILE: parquet_bytes(counts_table(shown(_merged(kept, counts, HASHTAG_COUNTS.schema))))}
    if any(s.authors for s in seen):
        kept = _previous(out, AUTHORS_FILE, HASHTAG_AUTHORS.schema).filter(~pl.col("date").is_in(recomputed))
        merged = _merged(kept if before else None, authors, HASHTAG_AUTHORS.schema)
        outputs[AUTHORS_FILE] = parquet_bytes(authors_table(shown(merged)))
        kept = _previous(out, AUTHOR_DAYS_FILE, HASHTAG_AUTHOR_DAYS.schema).filter(~pl.col("date").is_in(recomputed))
        merged = _merged(kept if before else None, author_day_parts, HASHTAG_AUTHOR_DAYS.schema)
        outputs[AUTHOR_DAYS_FILE] = parquet_bytes(author_days_table(shown(merged)))
    manifest = {
        "version": MANIFEST_VERSION,
        "tz": tz,
        "raw": raw,
        "outputs": {name: digest(content) for name, content in outputs.items()},
        "files": [asdict(s) for s in sorted(seen, key=lambda s: s.path)],
    }
    written = write_outputs(store, outputs, json.dumps(manifest, indent=1).encode(), manifest_bytes)
    return Result(len(files), len(read), len(changed), done, written)


def spelled(seen: list[Seen]) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """Writes each hashtag of a table as the spelling most rows of all `seen` files use (contract.shown_spellings)."""
    uses = pl.DataFrame(
        [(spelling, n) for s in seen for spelling, n in s.spellings.items()],
        schema={"spelling": pl.String, "uses": pl.Int64},
        orient="row",
    )
    chosen = shown_spellings(uses.with_columns(normalise_hashtag(pl.col("spelling")).alias("key")))

    def shown(table: pl.DataFrame) -> pl.DataFrame:
        key = normalise_hashtag(pl.col("hashtag"))  # a key, or a spelling a previous run wrote
        return table.with_columns(key.replace_strict(chosen["key"], chosen["spelling"], default=key).alias("hashtag"))

    return shown


def _merged(kept: pl.DataFrame | None, new: list[pl.DataFrame], schema: dict) -> pl.DataFrame:
    parts = ([kept] if kept is not None else []) + new
    return pl.concat(parts, how="vertical") if parts else pl.DataFrame(schema=schema)


def write_outputs(store: Store, outputs: dict[str, bytes], manifest: bytes, expected: bytes | None) -> list[Path]:
    """Replace the outputs, then the manifest that names them, under the store's lock; each file atomically.

    Nothing is written when the manifest would not change (its digests cover the outputs): the dashboard's
    cache stays warm. `expected` is the manifest this run started from: another run's is not overwritten.
    """
    out = store.root
    with store.locked():
        current = (out / MANIFEST).read_bytes() if (out / MANIFEST).is_file() else None
        if current != expected:
            raise PulseError(f"another rollup into {out} finished while this one ran; run it again")
        if current == manifest:
            return []
        written = []
        try:
            for name, content in outputs.items():
                atomic_write(out / name, content)
                written.append(out / name)
            for name in (AUTHORS_FILE, AUTHOR_DAYS_FILE):
                if name not in outputs and (out / name).is_file():
                    (out / name).unlink()  # no input has author ids any more: a stale table would mislead
            atomic_write(out / MANIFEST, manifest)
        except OSError as error:
            raise PulseError(f"could not write the rollup into {out}: {error.strerror or error}") from error
    return [*written, out / MANIFEST]
