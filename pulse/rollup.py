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

Its inputs are untrusted: each file is held to the raw-tweets row budget (PULSE_MAX_RAW_TWEETS) before a row is
read, a day too large for one batch is read a few hours at a time, a link leading out of the raw directory is
refused, and a message quotes at most a short, escaped excerpt of what a file holds. It writes only the tables it
wrote before (pulse.rollup_manifest), through the store.
"""

import glob
import itertools
import math
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from pulse import config
from pulse.data import budget
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
from pulse.data.store import MANIFEST, Store, parquet_bytes
from pulse.data.tweets import (
    REQUIRED,
    aggregate,
    author_days,
    report_broken_rows,
    row_columns,
)
from pulse.data.validation import validate
from pulse.errors import Problem, PulseError, ValidationError
from pulse.rollup_manifest import (
    MANIFEST_VERSION,
    Seen,
    check_owned,
    load_manifest,
    output_digest,
    seen_files,
    write_outputs,
)

COUNTS_FILE = "hashtags.parquet"
AUTHORS_FILE = "hashtag_authors.parquet"
AUTHOR_DAYS_FILE = "hashtag_author_days.parquet"
STAGING = ".rollup-staging"  # in DIR (one file system, so the table is renamed into place): each batch's author days
RAW_SUFFIXES = (".parquet", ".csv")
# Rows per batch of whole days: one batch's rows and keys are in memory at once, its author days staged to disk.
# 5M rows keep the polars engine at 1.0-1.3 GiB from 5M to 100M rows (docs/performance.md); 12M took 20M to 1.85.
BATCH_ROWS = 5_000_000
# A batch reads a little around its days' UTC range, in case a clock change falls at midnight.
SLACK = timedelta(hours=3)
COUNTS_ORDER = ("period_start", "party", "hashtag")
AUTHORS_ORDER = ("date", "party", "hashtag")
AUTHOR_DAYS_ORDER = ("date", "party", "hashtag", "author_id")
EXCERPT_CHARS = 40  # of a value read from a file, in a message


@dataclass(frozen=True)
class RawFile:
    """One input file as found now: its path, the name reports give it, and what tells a change."""

    path: Path
    label: str
    size: int
    mtime_ns: int


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


# An engine rolls up (files, local days, tz, and optionally a UTC window within them); None when a row has a
# blank party or hashtag. The polars engine here and the Spark one (pulse.spark_rollup) give the same frames.
Window = tuple[datetime, datetime] | None
Engine = Callable[..., Rolled | None]  # (files, days, tz) or (files, days, tz, window)


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """At most `limit` characters of a value read from a file, escaped (control characters, quotes) and quoted, '…'
    where it was cut: a message never carries a file's lines."""
    text = str(value)
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def _tamed(error: ValidationError) -> ValidationError:
    """The report with each value cut to EXCERPT_CHARS characters (a Problem quotes its value escaped)."""
    cut = [
        replace(p, value=p.value[:EXCERPT_CHARS] + "…") if len(p.value or "") > EXCERPT_CHARS else p
        for p in error.problems
    ]
    return ValidationError(cut, error.total)


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
    own, inside = out.resolve(), root.resolve()
    found = []
    for path in sorted(paths):
        relative = path.relative_to(root)
        # Hidden and underscored names are temporary or bookkeeping files (ours, Spark's _SUCCESS, editors').
        if path.suffix.lower() not in RAW_SUFFIXES or any(p[:1] in "._" for p in relative.parts):
            continue
        resolved = path.resolve()
        if resolved.parent == own:
            continue  # the rollup's own outputs, when DIR is inside PATH
        if path != given and not resolved.is_relative_to(inside):
            # A link to a file elsewhere (/etc/passwd, another team's data): never read, and where it leads unsaid.
            raise PulseError(
                f"{excerpt(str(relative))} is a link to a file outside {raw}: the rollup does not follow links out "
                "of the raw directory; copy the file in, or remove the link"
            )
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
        reason = f"missing required column (found {_header(schema)})"
        raise ValidationError([Problem(file.label, None, c, None, reason) for c in REQUIRED if c not in schema])
    columns, _ = row_columns(schema)
    if columns is None:
        # Types the fast reader does not take (a number for a time, say): the validator says which cells.
        validate(source.head(1000).collect(), HASHTAG_TWEETS, file.label, *_first_line(file))
        raise ValidationError([Problem(file.label, None, None, None, f"unsupported column types ({_header(schema)})")])
    if "author_id" in schema and "tweet_id" in schema:
        columns.append(pl.col("tweet_id").cast(pl.String))
    return source.select(columns), "author_id" in schema


def _header(schema: pl.Schema, shown: int = 4) -> str:
    """A file's columns as a message names them: how many, and the first few, each an excerpt with its type."""
    names = [f"{excerpt(name, 24)}: {dtype}" for name, dtype in list(schema.items())[:shown]]
    more = f" and {len(schema) - shown} more" if len(schema) > shown else ""
    return f"{len(schema)} column(s): {', '.join(names) or 'none'}{more}"


def _first_line(file: RawFile) -> tuple[int, str]:
    return (1, "row") if file.path.suffix.lower() == ".parquet" else (2, "line")


def _unreadable(file: RawFile, error: Exception) -> ValidationError:
    # The reader's own words may quote the file: an excerpt of their first line only.
    reason = excerpt(str(error).splitlines()[0], 80) if str(error) else type(error).__name__
    return ValidationError([Problem(file.label, None, None, None, f"could not be read: {reason}")])


def profile(file: RawFile, tz: str) -> Seen:
    """Check a new or changed file's rows and learn which local days it holds.

    Its rows are counted first (from the footer for Parquet, by the line breaks for CSV): a file over the
    raw-tweets budget (PULSE_MAX_RAW_TWEETS) is refused before any row is read.

    A broken row (an empty or unparsable time, a count that is not a whole number or is negative) raises the
    validator's report: file, row or line, column, value. Blank parties and hashtags would cost a read of
    both text columns here, so the aggregation finds them instead and the same report follows.
    """
    rows, authors = raw_rows(file)
    try:
        source = scan(file)
        within_budget(file.label, source.select(pl.len()).collect().item())
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


def within_budget(label: str, rows: int) -> None:
    """A refusal naming PULSE_MAX_RAW_TWEETS for a file with more rows than one file may have."""
    budget.check_rows(label, rows, config.max_raw_tweets(), "PULSE_MAX_RAW_TWEETS")


def utc_range(days: list[date], tz: str) -> tuple[datetime, datetime]:
    """UTC times that enclose the local days `days` in `tz`, with slack for a clock change at midnight."""
    zone = ZoneInfo(tz)
    first = datetime.combine(min(days), time(), zone).astimezone(UTC) - SLACK
    return first, datetime.combine(max(days) + timedelta(days=1), time(), zone).astimezone(UTC) + SLACK


def polars_engine(files: list[RawFile], days: list[date], tz: str, window: Window = None) -> Rolled | None:
    """The rollup of local `days` from every row of `files` (those of the UTC `window` when given), aggregated as
    the loader aggregates raw tweets.

    The batch's rows (its UTC range, pruned by Parquet statistics) are read by polars' streaming engine, only
    the four columns; pulse.data.tweets.aggregate then counts them. None when a party or hashtag is blank.
    """
    low, high = window or utc_range(days, tz)
    parts = [raw_rows(f)[0].filter(pl.col("created_at").is_between(low, high, closed="left")) for f in files]
    rows = pl.concat(parts, how="diagonal_relaxed").collect(engine="streaming")
    if rows.is_empty():  # a slice of a day may hold no rows
        return Rolled(counts_table(pl.DataFrame(schema=HASHTAG_COUNTS.schema)), None, 0)
    aggregated = aggregate(rows, tz)
    if aggregated is None:
        return None
    # Hashtags as their keys: the spelling shown is chosen over the whole archive once every batch is in.
    counts, authors = (None if f is None else f.with_columns(normalise_hashtag(pl.col("hashtag"))) for f in aggregated)
    wanted = pl.Series(days, dtype=pl.Date).implode()
    counts = counts.filter(local_date(pl.col("period_start"), tz).is_in(wanted))
    if "author_id" not in rows.columns:
        return Rolled(counts_table(counts), None, int(counts["tweets"].sum()))
    # Some file has author ids: the tables are written even when these rows have none (blank is none).
    if authors is None:
        authors = pl.DataFrame(schema=HASHTAG_AUTHORS.schema)
    authors = authors.filter(pl.col("date").is_in(wanted)).rename({"unique_authors": "authors"}, strict=False)
    authors = authors_table(authors)
    days_table = author_days_columns(author_days(rows, tz, wanted).table)
    return Rolled(counts_table(counts), authors, int(counts["tweets"].sum()), days_table)


def counts_table(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(HASHTAG_COUNTS.names).cast(HASHTAG_COUNTS.schema).sort(COUNTS_ORDER)


def authors_table(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(HASHTAG_AUTHORS.names).cast(HASHTAG_AUTHORS.schema).sort(AUTHORS_ORDER)


def author_days_table(frame: pl.DataFrame) -> pl.DataFrame:
    return author_days_columns(frame).sort(AUTHOR_DAYS_ORDER, nulls_last=False)


def author_days_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """A batch's author days in the table's columns and types, not yet sorted: staged() sorts them once spelled."""
    return frame.select(HASHTAG_AUTHOR_DAYS.names).cast(HASHTAG_AUTHOR_DAYS.schema)


def batches(days: set[date], seen: list[Seen], limit: int = BATCH_ROWS) -> Iterator[tuple[list[date], float]]:
    """Days in order, in batches of about `limit` rows (each file's rows spread evenly over its days), each with
    its estimated rows."""
    per_day: dict[date, float] = dict.fromkeys(days, 0.0)
    for s in seen:
        held = s.days() & days
        for day in held:
            per_day[day] += s.rows / len(s.days())
    batch, rows = [], 0.0
    for day in sorted(days):
        if batch and rows + per_day[day] > limit:
            yield batch, rows
            batch, rows = [], 0.0
        batch.append(day)
        rows += per_day[day]
    if batch:
        yield batch, rows


def roll(engine: Engine, files: list[RawFile], days: list[date], tz: str, rows: float, limit: int) -> Rolled | None:
    """The engine's rollup of a batch; one day of more than `limit` rows is read a few UTC hours at a time.

    Tweets per hour and per author add up across the slices; unique authors do not, so they are counted from the
    day's tweets per author (a null author is none), which is what the loader counts too.
    """
    if len(days) > 1 or rows <= limit:
        return engine(files, days, tz)
    low, high = utc_range(days, tz)
    hours = math.ceil((high - low) / timedelta(hours=1))
    step = timedelta(hours=max(1, hours // math.ceil(rows / limit)))
    parts = []
    while low < high:
        part = engine(files, days, tz, (low, min(low + step, high)))
        if part is None:
            return None
        parts.append(part)
        low += step
    counts = pl.concat([p.counts for p in parts]).group_by(COUNTS_ORDER).agg(pl.col("tweets").sum())
    total = int(counts["tweets"].sum())
    per_author = [p.author_days for p in parts if p.author_days is not None]
    if not per_author:
        return Rolled(counts_table(counts), None, total)
    per_author = pl.concat(per_author).group_by(AUTHOR_DAYS_ORDER).agg(pl.col("tweets").sum())
    authors = per_author.filter(pl.col("author_id").is_not_null()).group_by(AUTHORS_ORDER).agg(pl.len())
    authors = authors.rename({"len": "authors"})
    return Rolled(counts_table(counts), authors_table(authors), total, author_days_columns(per_author))


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
            within_budget(file.label, old.rows)  # the budget may have been lowered since
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


def writable(out: Path) -> Store:
    """DIR as the store the rollup writes into: made if need be, writable, and holding no table it did not write."""
    if out.exists() and not out.is_dir():
        raise PulseError(f"cannot write the rollup into {out}: it is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PulseError(f"cannot write the rollup into {out}: {error.strerror or error}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise PulseError(f"cannot write the rollup into {out}: permission denied")
    store = Store(out, allow_sample=True)  # --out is always named by the caller, even when it is the sample
    check_owned(store)
    return store


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
    store = writable(out)
    manifest = load_manifest(out)
    manifest_bytes = (out / MANIFEST).read_bytes() if manifest is not None else None
    files = find_raw(raw, out)
    before = seen_files(out, manifest, tz) or {}
    staging = out / STAGING
    shutil.rmtree(staging, ignore_errors=True)  # an interrupted run's parts
    try:
        try:
            seen, changed = plan(files, before, tz, say)
            shown = spelled(seen)
            staging.mkdir()
            parts = rolled_batches(files, seen, changed, tz, engine, say, batch_rows, staged(staging, shown))
        except ValidationError as error:
            raise _tamed(error) from None
        counts, authors, days_parts, done, read = parts
        recomputed = pl.Series(sorted(changed), dtype=pl.Date).implode()
        kept = None
        if before:
            kept = _previous(out, COUNTS_FILE, HASHTAG_COUNTS.schema)
            kept = kept.filter(~local_date(pl.col("period_start"), tz).is_in(recomputed))
        outputs = {COUNTS_FILE: parquet_bytes(counts_table(shown(_merged(kept, counts, HASHTAG_COUNTS.schema))))}
        if any(s.authors for s in seen):
            kept = _previous(out, AUTHORS_FILE, HASHTAG_AUTHORS.schema).filter(~pl.col("date").is_in(recomputed))
            merged = _merged(kept if before else None, authors, HASHTAG_AUTHORS.schema)
            outputs[AUTHORS_FILE] = parquet_bytes(authors_table(shown(merged)))
            previous = recomputed if before else None
            outputs[AUTHOR_DAYS_FILE] = merged_author_days(out, staging, days_parts, previous, shown)
        manifest = {
            "version": MANIFEST_VERSION,
            "tz": tz,
            "raw": raw,
            "outputs": {name: output_digest(content) for name, content in outputs.items()},
            "files": [asdict(s) for s in sorted(seen, key=lambda s: s.path)],
        }
        written = write_outputs(store, outputs, manifest, manifest_bytes)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return Result(len(files), len(read), len(changed), done, written)


def staged(staging: Path, shown: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable[[pl.DataFrame], Path]:
    """Writes a batch's author days to the staging folder, spelled and sorted as the table is, and says where."""

    def stage(part: pl.DataFrame) -> Path:
        path = staging / f"author-days-{len(list(staging.iterdir())):05d}.parquet"
        author_days_table(shown(part)).write_parquet(path)
        return path

    return stage


def merged_author_days(
    out: Path, staging: Path, parts: list[Path], recomputed: pl.Expr | None, shown: Callable
) -> bytes | Path:
    """hashtag_author_days as a staging file: the previous table's days that were not recomputed (None: a full
    run keeps none) merged with the batches' parts by date, streamed from disk rather than held whole.

    The batches cover disjoint days in order, each sorted, so their parts read one after another are sorted;
    a day is in the previous table or in a part, never both, so merging the two by date keeps the whole order.
    """
    schema = HASHTAG_AUTHOR_DAYS.schema
    new = [pl.scan_parquet(p) for p in parts]
    merged = pl.concat(new) if new else None
    previous = out / AUTHOR_DAYS_FILE
    if recomputed is not None and previous.is_file():
        # Respelled hashtags may sort elsewhere within their day: the kept days are sorted again.
        kept = pl.scan_parquet(previous).filter(~pl.col("date").is_in(recomputed))
        kept = author_days_table(shown(kept.collect())).lazy()  # previous days only, never the new ones
        merged = kept if merged is None else kept.merge_sorted(merged, key="date")
    if merged is None:
        return parquet_bytes(author_days_table(pl.DataFrame(schema=schema)))
    path = staging / AUTHOR_DAYS_FILE
    merged.select(HASHTAG_AUTHOR_DAYS.names).cast(schema).sink_parquet(path)
    return path


def rolled_batches(
    files: list[RawFile],
    seen: list[Seen],
    changed: set[date],
    tz: str,
    engine: Engine,
    say: Callable[[str], None],
    batch_rows: int,
    stage: Callable[[pl.DataFrame], Path],
) -> tuple[list[pl.DataFrame], list[pl.DataFrame], list[Path], int, set[Path]]:
    """The changed days rolled up batch by batch: counts and authors parts, the author-days parts as staged files
    (`stage`: memory holds one batch's, not the archive's), rows done, files read."""
    by_path = {str(f.path): f for f in files}
    total = sum(s.rows for s in seen if s.days() & changed)
    counts, authors, author_day_parts, done, read = [], [], [], 0, set()
    for batch, rows in batches(changed, seen, batch_rows):
        inputs = [by_path[s.path] for s in seen if s.days() & set(batch)]
        rolled = roll(engine, inputs, batch, tz, rows, batch_rows) if inputs else None
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
            author_day_parts.append(stage(rolled.author_days))
        read |= {f.path for f in inputs}
        done += rolled.rows
        say(f"days {batch[0]} to {batch[-1]}: {len(inputs)} files read, {done:,} of about {total:,} rows done")
    return counts, authors, author_day_parts, done, read


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
