"""Reading files (CSV, Parquet, Excel) into validated frames, and a data directory into a Dataset."""

import io
from dataclasses import replace
from pathlib import Path

import fastexcel
import polars as pl

from pulse import config
from pulse.data import budget
from pulse.data.contract import (
    CLAIMS,
    DRIVER_COLUMNS,
    HASHTAG_AUTHOR_DAYS,
    HASHTAG_COUNTS,
    HASHTAG_GROUPS,
    HASHTAG_TWEETS,
    RALLIES,
    SPACE_SAMPLES,
    SPACES,
    STREAM_SAMPLES,
    STREAMS,
    Contract,
    contract_for,
    one_spelling,
)
from pulse.data.csv_text import POSITION, read_csv
from pulse.data.dataset import Dataset, Hashtags, RawTweets, Table, party_table
from pulse.data.store import Store, rollup_wrote
from pulse.data.tweets import aggregate, compact_ids, read_rows, report_broken_rows, spelled_keys
from pulse.data.validation import validate
from pulse.errors import PulseError


def read_table(source: Path | bytes, file: str) -> Table:
    """Read a CSV, Parquet or Excel file as it is, within the memory budgets (pulse.data.budget) and checked before
    anything is materialised; a file that cannot be read, or is over a budget, is a ValidationError."""
    suffix = Path(file).suffix.lower()
    if suffix not in (".csv", ".parquet", ".xlsx"):
        raise budget.refusal(file, f"unsupported file type {suffix or '(none)'}: use .csv, .parquet or .xlsx")
    data = _read_bytes(source, file) if isinstance(source, Path) else source
    try:
        if suffix == ".parquet":
            budget.check_parquet(file, data)
            return Table(pl.read_parquet(io.BytesIO(data)), file, 1, "row")
        if suffix == ".xlsx":
            budget.check_xlsx(file, data)
            return Table(_first_sheet(data, file), file, 2)
        frame, lines = read_csv(data, file)
        return Table(frame, file, 2, lines=lines)
    except (pl.exceptions.PolarsError, fastexcel.FastExcelError) as error:
        reason = str(error).splitlines()[0]
        raise budget.refusal(file, f"could not be read as {suffix.lstrip('.')}: {reason}") from None


def _first_sheet(data: bytes, file: str) -> pl.DataFrame:
    """The first sheet as text, its first row the header: read as a row, since calamine renames a repeated name."""
    cells = pl.read_excel(io.BytesIO(data), engine="calamine", infer_schema_length=0, read_options={"header_row": None})
    if cells.is_empty():
        return cells
    header = [name if name is not None else f"__UNNAMED__{i}" for i, name in enumerate(cells.row(0))]
    budget.check_unique_names(file, header)
    return cells.slice(1).rename(dict(zip(cells.columns, header, strict=True)))


def _read_bytes(path: Path, file: str) -> bytes:
    try:
        budget.check_bytes(file, path.stat().st_size)
        return path.read_bytes()
    except OSError as error:
        raise budget.refusal(file, f"could not be read: {error.strerror or error}") from None


def validate_table(table: Table, dataset: str) -> tuple[pl.DataFrame, Contract]:
    """Validate a read table as `dataset`; return the typed frame and the contract (form) it met."""
    contract = contract_for(dataset, table.frame.columns, table.file)
    if table.lines is None:
        frame = validate(table.frame, contract, table.file, table.first_line, table.unit)
    else:  # rows are counted from their physical line (a quoted line break makes a row two lines)
        frame = table.frame.with_columns((table.lines - table.first_line).alias(POSITION))
        frame = validate(frame, contract, table.file, table.first_line, table.unit, positions=POSITION)
    if "hashtag" in frame.columns:
        frame = one_spelling(frame)
    return frame, contract


def hashtags_from(frame: pl.DataFrame, contract: Contract, tz: str) -> Hashtags:
    """The counts form of validated hashtag data: raw tweets are aggregated by local hour."""
    if contract is not HASHTAG_TWEETS:
        counts = (
            frame.group_by("hashtag", "party", "period_start")
            .agg(pl.col("tweets").sum())
            .sort("period_start", "party", "hashtag")
        )
        return Hashtags(counts, None, "counts", frame.height)
    return _raw_tweets(aggregate_tweets(frame, tz), frame.height)


def _raw_tweets(aggregated: tuple[pl.DataFrame, pl.DataFrame | None], rows: int) -> Hashtags:
    """Hashtags from aggregated raw tweets (see pulse.data.tweets.aggregate); `rows` is how many the file had."""
    counts, authors = aggregated
    return Hashtags(counts, authors, "raw tweets", rows)


def aggregate_tweets(tweets: pl.DataFrame, tz: str) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Validated raw tweets to hourly counts and unique authors per local day, None without author ids.

    Not `require`d: the rows met the contract already, and a hashtag normalised to nothing (a lone '#') is kept.
    """
    return aggregate(tweets.select("created_at", "party", "hashtag", "author_id"), tz, require=False)


def load_hashtags(path: Path, tz: str) -> Hashtags:
    """A hashtags file in the counts form: raw tweets are aggregated as they are read, without keeping the rows."""
    fast = _raw_tweets_fast(path, tz)
    if fast is not None:
        return fast
    report_broken_rows(path)  # a raw-tweets file with broken rows is reported from those rows alone
    return hashtags_from(*validate_table(read_table(path, path.name), "hashtags"), tz)


def _raw_tweets_fast(path: Path, tz: str) -> Hashtags | None:
    # None for a counts file, an unusual one, or one that breaks a rule: the general path reads and reports it.
    rows = read_rows(path)
    if rows is None:
        return None
    aggregated = aggregate(rows, tz)
    return None if aggregated is None else _raw_tweets(aggregated, rows.height)


def load_dataset(store: Store | Path, name: str) -> tuple[pl.DataFrame, Contract] | None:
    """Dataset `name` of a store (or of the data directory given), validated; None when it has no file."""
    store = store if isinstance(store, Store) else Store(store)
    path = store.path(name)
    if path is None:
        return None
    return validate_table(read_table(path, path.name), name)


EMPTY_GROUPS = pl.DataFrame(schema=HASHTAG_GROUPS.schema)
EMPTY_SAMPLES = pl.DataFrame(schema=SPACE_SAMPLES.schema)
EMPTY_SPACES = pl.DataFrame(schema=SPACES.schema)
EMPTY_RALLIES = pl.DataFrame(schema=RALLIES.schema)
EMPTY_CLAIMS = pl.DataFrame(schema=CLAIMS.schema)
EMPTY_STREAMS = pl.DataFrame(schema=STREAMS.schema)
EMPTY_STREAM_SAMPLES = pl.DataFrame(schema=STREAM_SAMPLES.schema)
NO_HASHTAGS = Hashtags(pl.DataFrame(schema=HASHTAG_COUNTS.schema), None, "counts", 0)


def _dataset(store: Store, name: str, empty: pl.DataFrame | None = None) -> pl.DataFrame | None:
    """A validated dataset, or `empty` when there is no file."""
    loaded = load_dataset(store, name)
    return empty if loaded is None else loaded[0]


def load_data_dir(directory: Path, tz: str) -> Dataset:
    """Load and validate every dataset in `directory`. Any of them may be missing, and is then empty: a war room's
    new directory gets hashtags and Spaces as `pulse watch` fetches them, and rallies when someone uploads them."""
    if not directory.is_dir():
        raise PulseError(f"data directory {directory} does not exist")
    store = Store(directory)
    spaces = _dataset(store, "spaces", EMPTY_SPACES)
    hashtags_path = store.path("hashtags")
    hashtags = NO_HASHTAGS if hashtags_path is None else load_hashtags(hashtags_path, tz)
    if hashtags.authors_daily is None:
        hashtags = replace(hashtags, authors_daily=rolled_up_authors(store))
    rallies = _dataset(store, "rallies", EMPTY_RALLIES)
    samples = _dataset(store, "space_samples", EMPTY_SAMPLES)
    spaces = with_tracked_audience(spaces, samples)
    stream_samples = _dataset(store, "stream_samples", EMPTY_STREAM_SAMPLES)
    streams = with_tracked_audience(_dataset(store, "streams", EMPTY_STREAMS), stream_samples, *STREAM_AUDIENCE)
    return Dataset(
        spaces=spaces,
        hashtags=hashtags,
        rallies=rallies,
        parties=party_table(
            _dataset(store, "parties"), [spaces["party"], hashtags.counts["party"], rallies["party"], streams["party"]]
        ),
        hashtag_groups=_dataset(store, "hashtag_groups", EMPTY_GROUPS),
        space_samples=samples,
        tz=tz,
        claims=_dataset(store, "claims", EMPTY_CLAIMS),
        streams=streams,
        stream_samples=stream_samples,
    )


def rolled_up_authors(store: Store) -> pl.DataFrame | None:
    """Unique authors per local day from `hashtag_authors` (written by `python -m pulse rollup`), when there is one."""
    authors = _dataset(store, "hashtag_authors")
    if authors is None:
        return None
    return authors.select("hashtag", "party", "date", pl.col("authors").alias("unique_authors"))


def summarise_samples(
    samples: pl.DataFrame,
    key: str = "space_id",
    value: str = "participants",
    names: tuple[str, str] = ("peak_listeners", "avg_listeners"),
) -> pl.DataFrame:
    """Peak and time-weighted (trapezoid) average audience per `key` from (key, at, value): a Space's listeners from
    space_samples by default, a stream's viewers from stream_samples with ("stream_id", "viewers",
    ("peak_viewers", "avg_viewers")). One definition for both platforms; `names` names the two figures."""
    # Trapezoid rule: the count is taken to move linearly between two samples (polls are evenly
    # spaced and the true curve is unknown between them), and the area under it is divided by the
    # time from the first to the last sample. With one sample (or all at one instant) the average
    # is the plain mean.
    peak, avg = names
    seconds = pl.col("at").diff().dt.total_microseconds().over(key).cast(pl.Float64) / 1e6
    midpoint = (pl.col(value) + pl.col(value).shift(1).over(key)) / 2
    return (
        samples.select(key, "at", pl.col(value).cast(pl.Int64))
        .drop_nulls()
        .sort(key, "at")
        .with_columns(seconds.alias("__dt"), midpoint.alias("__mid"))
        .group_by(key, maintain_order=True)
        .agg(
            pl.col(value).max().alias(peak),
            (pl.col("__mid") * pl.col("__dt")).sum().alias("__area"),
            pl.col("__dt").sum().alias("__span"),
            pl.col(value).mean().alias("__mean"),
        )
        .select(
            key,
            peak,
            pl.when(pl.col("__span") > 0)
            .then(pl.col("__area") / pl.col("__span"))
            .otherwise(pl.col("__mean"))
            .alias(avg),
        )
        .cast({key: pl.String, peak: pl.Int64, avg: pl.Float64})
    )


def with_tracked_audience(
    spaces: pl.DataFrame,
    samples: pl.DataFrame,
    key: str = "space_id",
    value: str = "participants",
    names: tuple[str, str] = ("peak_listeners", "avg_listeners"),
    total: str | None = "total_listeners",
) -> pl.DataFrame:
    """Spaces with empty peak/avg listeners taken from their tracked samples; stored values win. With ("stream_id",
    "viewers", ("peak_viewers", "avg_viewers"), None): streams' peak/avg viewers from stream_samples, the same way
    (a stream has no reported total)."""
    # A derived figure that would break the contract (peak or average above the reported total,
    # average above the stored peak) is left empty rather than shown: the total is the analyst's
    # reported figure and the samples cannot say which of the two is wrong (a total reported
    # before the Space ended, or a participant count that includes hosts and speakers).
    peak_name, avg_name = names
    tracked = summarise_samples(samples, key, value, names).select(
        key,
        pl.col(peak_name).alias("__peak"),
        # The trapezoid mean of counts never exceeds their maximum; min() only drops float noise.
        pl.min_horizontal(avg_name, pl.col(peak_name).cast(pl.Float64)).alias("__avg"),
    )
    peak, avg = pl.col(peak_name), pl.col(avg_name)
    within = pl.lit(True) if total is None else pl.col(total).is_null() | (pl.col("__peak") <= pl.col(total))
    avg_within = pl.lit(True) if total is None else pl.col(total).is_null() | (pl.col("__avg") <= pl.col(total))
    return (
        spaces.join(tracked, on=key, how="left", maintain_order="left")
        .with_columns(pl.coalesce(peak, pl.when(within).then("__peak")))
        .with_columns(
            pl.coalesce(avg, pl.when(avg_within & (peak.is_null() | (pl.col("__avg") <= peak))).then("__avg"))
        )
        .select(spaces.columns)
    )


STREAM_AUDIENCE = ("stream_id", "viewers", ("peak_viewers", "avg_viewers"), None)


def with_uploads(data: Dataset, uploads: dict[str, tuple[pl.DataFrame, Contract]]) -> Dataset:
    """`data` with some datasets replaced by validated uploads (a user's own view, never saved)."""
    replaced = ("spaces", "rallies", "hashtag_groups", "claims", "streams")
    changes: dict = {name: uploads[name][0] for name in replaced if name in uploads}
    if "hashtags" in uploads:
        changes["hashtags"] = hashtags_from(*uploads["hashtags"], data.tz)
    if "spaces" in uploads:
        changes["spaces"] = with_tracked_audience(changes["spaces"], data.space_samples)
    if "streams" in uploads:
        changes["streams"] = with_tracked_audience(changes["streams"], data.stream_samples, *STREAM_AUDIENCE)
    merged = replace(data, **changes)
    named = uploads["parties"][0] if "parties" in uploads else data.parties
    used = [merged.spaces["party"], merged.hashtags.counts["party"], merged.rallies["party"], merged.streams["party"]]
    return replace(merged, parties=party_table(named, used))


def load_raw_tweets(store: Store) -> RawTweets | None:
    """The raw_tweets sample, else hashtags in the raw form; None when neither exists or has an author_id.

    Read compactly (pulse.data.tweets.read_rows), as the hashtags are; a file that breaks the contract, or one read
    otherwise, goes through the contract's own validation, which reports every problem.
    """
    for dataset in ("raw_tweets", "hashtags"):
        path = store.path(dataset)
        if path is None or "created_at" not in _header(path):
            continue
        rows = read_rows(path, extra=("tweet_id", "text"))
        typed = None if rows is None else _driver_rows(rows)
        if typed is None or typed.select(pl.any_horizontal(pl.col("party", "hashtag").is_null()).any()).item():
            typed = _driver_rows(validate_table(read_table(path, path.name), dataset)[0])
        if typed["author_id"].null_count() == typed.height:
            return None
        return RawTweets(typed, dataset, path.name)
    return None


def load_author_days(store: Store) -> pl.DataFrame | None:
    """The rollup's hashtag_author_days, validated; None when there is none.

    It has about as many rows as the raw tweets, so a Parquet file (as the rollup writes it) is held to the
    raw-tweets budget (PULSE_MAX_RAW_TWEETS, counted from its footer), not the per-file one; other files load
    as every dataset does.
    """
    path = store.path("hashtag_author_days")
    if path is None or path.suffix.lower() != ".parquet":
        loaded = load_dataset(store, "hashtag_author_days")
        return None if loaded is None else loaded[0]
    try:
        source = pl.scan_parquet(path)
        budget.check_rows(
            path.name, source.select(pl.len()).collect().item(), config.max_raw_tweets(), "PULSE_MAX_RAW_TWEETS"
        )
        frame = source.collect()
    except (pl.exceptions.PolarsError, OSError) as error:
        raise budget.refusal(path.name, f"could not be read as parquet: {str(error).splitlines()[0]}") from None

    # The bytes the rollup itself wrote (its manifest names their digest) are valid by construction: checking
    # millions of rows again would cost more than the drivers they serve. Any other file is validated.
    if not (frame.schema == HASHTAG_AUTHOR_DAYS.schema and rollup_wrote(path)):
        frame = validate(frame, HASHTAG_AUTHOR_DAYS, path.name, 1, "row")
    # Author ids as integers where that is exact, as for raw tweets: they group several times faster.
    return frame.with_columns(pl.lit(compact_ids(frame["author_id"])).alias("author_id"))


def _driver_rows(rows: pl.DataFrame) -> pl.DataFrame | None:
    """DRIVER_COLUMNS of raw tweets as text (blank is empty), hashtags in one spelling; absent columns empty.

    Categorical parties and hashtags (read_rows) are spelled from their few categories; None when one is blank.
    """

    def text(column: str) -> pl.Expr:
        if column not in rows.columns:
            return pl.lit(None, pl.String).alias(column)
        stripped = pl.col(column).cast(pl.String).str.strip_chars()
        return pl.when(stripped != "").then(stripped).alias(column)

    def ids(column: str) -> pl.Series:
        # X's ids are decimal numbers: as integers where that is exact, they group and count several times faster.
        if column not in rows.columns:
            return pl.Series(column, [None] * rows.height, dtype=pl.String)
        written = rows[column]
        return compact_ids(written if written.dtype.is_integer() else written.cast(pl.String))

    if all(rows.schema[c] == pl.Categorical for c in ("party", "hashtag")):
        keyed = spelled_keys(rows)
        if keyed is None:
            return None
    else:
        keyed = one_spelling(rows.with_columns(text("party"), text("hashtag")))
    return keyed.select(
        "created_at",
        "party",
        "hashtag",
        *[pl.lit(ids(c)).alias(c) for c in ("tweet_id", "author_id")],
        text("text"),
    ).select(DRIVER_COLUMNS)


def _header(path: Path) -> list[str]:
    """The column names of a dataset file."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            return pl.scan_csv(path, infer_schema=False, encoding="utf8").collect_schema().names()
        if suffix == ".parquet":
            return pl.scan_parquet(path).collect_schema().names()
    except (pl.exceptions.PolarsError, OSError):
        pass  # the contract's own reader reports it
    return read_table(path, path.name).frame.columns
