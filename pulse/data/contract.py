"""The data contract: which columns each dataset has, and the validation that enforces it.

A file is validated as a whole: every problem is collected (up to a cap) with its line,
column and value, and the file is rejected if there is any. Nothing is loaded partially.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

import polars as pl

from pulse.config import date_window
from pulse.errors import MAX_REPORTED_PROBLEMS, Problem, ValidationError

UTC_DATETIME = pl.Datetime("us", "UTC")
# ISO 8601 in UTC to the second (2022-04-20T17:00:00Z): how exports and synthetic data write times, and the
# shape the raw-tweets reader parses with this one format before trying the general parser.
ZULU_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
TEXT_CHARS = 140  # tweet texts leave the app cut to this many characters
# No Space, hour of tweets or rally reaches a billion; with at most 10^9 rows (config.ROWS_CEILING) no sum of
# counts can then pass the 64-bit limit and wrap around to a negative total.
MAX_COUNT = 1_000_000_000
DTYPES = {
    "str": pl.String,
    "int": pl.Int64,
    "float": pl.Float64,
    "datetime": UTC_DATETIME,
    "date": pl.Date,
    "bool": pl.Boolean,
}

# ISO 8601: a date, optionally a time (seconds and fractions optional) and an offset or Z.
_TIMESTAMP = r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"
_HEX_COLOR = r"^#[0-9A-Fa-f]{6}$"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Literal["str", "int", "float", "datetime", "date", "bool"]
    required: bool = True  # the column must be in the file
    nullable: bool = False  # a cell may be empty
    nonnegative: bool = False


@dataclass(frozen=True)
class Rule:
    """A rule across columns: `broken` is true on the rows that break it (built on parsed columns)."""

    column: str
    needs: tuple[str, ...]
    broken: Callable[[], pl.Expr]
    reason: str


@dataclass(frozen=True)
class KeyForm:
    """A key column compared the way the app uses it, not as written: `note` says how in a report."""

    column: str
    form: Callable[[pl.Expr], pl.Expr]
    note: str


@dataclass(frozen=True)
class Contract:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = field(default=())
    key_forms: tuple[KeyForm, ...] = ()

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """Column name to polars type, in contract order: the typed frame `validate` returns."""
        return {c.name: DTYPES[c.kind] for c in self.columns}


def tidy_hashtag(expr: pl.Expr) -> pl.Expr:
    """A hashtag as the analyst spelled it, without surrounding spaces or the leading '#'."""
    return expr.str.strip_chars().str.strip_chars_start("#")


def normalise_hashtag(expr: pl.Expr) -> pl.Expr:
    """Hashtags compare without the leading '#' and case-insensitively: the key spellings of one hashtag share."""
    return tidy_hashtag(expr).str.to_lowercase()


def shown_spellings(spellings: pl.DataFrame) -> pl.DataFrame:
    """For each key (`key`), the spelling (`spelling`) with the most `uses`; on a tie the first in code point
    order, so a capitalised spelling wins over the lower-case one (`ImranKhan` over `imrankhan`)."""
    return (
        spellings.group_by("key", "spelling")
        .agg(pl.col("uses").sum())
        .sort("key", "uses", "spelling", descending=[False, True, False])
        .unique("key", keep="first", maintain_order=True)
        .select("key", "spelling")
    )


def one_spelling(frame: pl.DataFrame, column: str = "hashtag") -> pl.DataFrame:
    """`frame` with the hashtags of `column` tidied and every spelling of one hashtag written one way: the
    spelling most rows use (see shown_spellings). Case and '#' never split a hashtag in two, and the analyst's
    capitals are kept."""
    tidy = frame.with_columns(tidy_hashtag(pl.col(column)))
    spellings = tidy.group_by(pl.col(column).alias("spelling")).agg(pl.len().alias("uses"))
    chosen = shown_spellings(spellings.with_columns(normalise_hashtag(pl.col("spelling")).alias("key")))
    return tidy.with_columns(
        normalise_hashtag(pl.col(column)).replace_strict(chosen["key"], chosen["spelling"], default=None).alias(column)
    )


def as_utc(at: datetime) -> datetime:
    """A Python time in UTC; one without a zone is UTC already, as everywhere in the data contract."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def local_date(utc: pl.Expr, tz: str) -> pl.Expr:
    """The local date in `tz` a UTC time falls on."""
    return utc.dt.convert_time_zone(tz).dt.date()


def local_hour(utc: pl.Expr, tz: str) -> pl.Expr:
    """The UTC start of the local hour a UTC time falls in (zones with half-hour offsets included)."""
    return utc.dt.convert_time_zone(tz).dt.truncate("1h").dt.convert_time_zone("UTC")


def _above(a: str, b: str) -> Callable[[], pl.Expr]:
    return lambda: pl.col(a) > pl.col(b)


SPACES = Contract(
    "spaces",
    (
        Column("space_id", "str"),
        Column("party", "str"),
        Column("host", "str"),
        Column("title", "str", required=False, nullable=True),
        Column("started_at", "datetime"),
        Column("ended_at", "datetime", required=False, nullable=True),
        Column("total_listeners", "int", nullable=True, nonnegative=True),
        Column("peak_listeners", "int", required=False, nullable=True, nonnegative=True),
        Column("avg_listeners", "float", required=False, nullable=True, nonnegative=True),
        Column("source_url", "str", required=False, nullable=True),
    ),
    key=("space_id",),
    rules=(
        Rule(
            "ended_at",
            ("started_at", "ended_at"),
            lambda: pl.col("ended_at") < pl.col("started_at"),
            "ended_at is before started_at",
        ),
        Rule(
            "peak_listeners",
            ("peak_listeners", "total_listeners"),
            _above("peak_listeners", "total_listeners"),
            "peak_listeners is above total_listeners (the most at once cannot exceed all who joined)",
        ),
        Rule(
            "avg_listeners",
            ("avg_listeners", "total_listeners"),
            _above("avg_listeners", "total_listeners"),
            "avg_listeners is above total_listeners",
        ),
        Rule(
            "avg_listeners",
            ("avg_listeners", "peak_listeners"),
            _above("avg_listeners", "peak_listeners"),
            "avg_listeners is above peak_listeners",
        ),
    ),
)

HASHTAG_COUNTS = Contract(
    "hashtags",
    (
        Column("hashtag", "str"),
        Column("party", "str"),
        Column("period_start", "datetime"),
        Column("tweets", "int", nonnegative=True),
    ),
    key=("hashtag", "party", "period_start"),
)

HASHTAG_TWEETS = Contract(
    "hashtags",
    (
        Column("created_at", "datetime"),
        Column("party", "str"),
        Column("hashtag", "str"),
        Column("tweet_id", "str", required=False, nullable=True),
        Column("author_id", "str", required=False, nullable=True),
        Column("retweets", "int", required=False, nullable=True, nonnegative=True),
        Column("likes", "int", required=False, nullable=True, nonnegative=True),
        Column("text", "str", required=False, nullable=True),
    ),
)

# Unique authors per local day, as raw tweets give them: written by `python -m pulse rollup` beside the counts
# form of hashtags, so a data directory holding only the rollup still shows them.
HASHTAG_AUTHORS = Contract(
    "hashtag_authors",
    (
        Column("date", "date"),
        Column("party", "str"),
        Column("hashtag", "str"),
        Column("authors", "int", nonnegative=True),
    ),
    key=("date", "party", "hashtag"),
)

# Written by the rollup (pulse.rollup) for "Who drives it" (pulse.metrics.drivers.author_day_tables): each
# author's distinct tweets per local day, party and hashtag; a blank author_id holds the day's tweets without an author.
HASHTAG_AUTHOR_DAYS = Contract(
    "hashtag_author_days",
    (
        Column("date", "date"),
        Column("party", "str"),
        Column("hashtag", "str"),
        Column("author_id", "str", nullable=True),
        Column("tweets", "int", nonnegative=True),
    ),
    key=("date", "party", "hashtag", "author_id"),
)

# What pulse.metrics.drivers reads of raw tweets: who posted which tweet, when, with which hashtag, and its text.
DRIVER_COLUMNS = ("created_at", "party", "hashtag", "tweet_id", "author_id", "text")

RALLIES = Contract(
    "rallies",
    (
        Column("rally_id", "str"),
        Column("party", "str"),
        Column("city", "str"),
        Column("announced_at", "datetime"),
        Column("starts_at", "datetime"),
        Column("venue", "str", required=False, nullable=True),
        Column("lat", "float", required=False, nullable=True),
        Column("lon", "float", required=False, nullable=True),
        Column("reported_attendance", "int", required=False, nullable=True, nonnegative=True),
        Column("source_url", "str", required=False, nullable=True),
    ),
    key=("rally_id", "announced_at"),
    rules=(
        Rule(
            "starts_at",
            ("starts_at", "announced_at"),
            lambda: pl.col("starts_at") < pl.col("announced_at"),
            "starts_at is before announced_at",
        ),
        Rule("lat", ("lat",), lambda: pl.col("lat").abs() > 90, "latitude must be between -90 and 90"),
        Rule("lon", ("lon",), lambda: pl.col("lon").abs() > 180, "longitude must be between -180 and 180"),
    ),
)

PARTIES = Contract(
    "parties",
    (Column("party", "str"), Column("name", "str"), Column("color", "str")),
    key=("party",),
    rules=(
        Rule(
            "color",
            ("color",),
            lambda: ~pl.col("color").str.contains(_HEX_COLOR),
            "color must be a hex colour such as #1F77B4",
        ),
    ),
)

HASHTAG_GROUPS = Contract(
    "hashtag_groups",
    (Column("hashtag", "str"), Column("campaign", "str")),
    key=("hashtag",),
    # Hashtags are normalised on load: two spellings of one would be one key, grouped into whichever came first.
    key_forms=(KeyForm("hashtag", normalise_hashtag, "; '#' and case are ignored"),),
)

SPACE_SAMPLES = Contract(
    "space_samples",
    (
        Column("space_id", "str"),
        Column("at", "datetime"),
        Column("participants", "int", nonnegative=True),
    ),
    key=("space_id", "at"),
)

# Written by `pulse watch` only (never edited on the Data page). alert_id is a stable key of kind, subject and
# time, so a check that runs again, or a restarted watcher, never raises one alert twice. delivered_to holds the
# webhooks (by fingerprint, never the URL: it is a secret) that took it, so none is sent one twice.
ALERTS = Contract(
    "alerts",
    (
        Column("alert_id", "str"),
        Column("raised_at", "datetime"),
        Column("kind", "str"),
        Column("party", "str", nullable=True),
        Column("subject", "str"),
        Column("value", "float", nullable=True),
        Column("baseline", "float", nullable=True),
        Column("message", "str"),
        Column("delivered", "bool"),
        Column("error", "str", nullable=True),
        Column("delivered_to", "str", nullable=True),
        Column("attempts", "int", nonnegative=True),
        Column("retry_at", "datetime", nullable=True),
    ),
    key=("alert_id",),
)

CONTRACTS = {
    c.name: c
    for c in (SPACES, RALLIES, PARTIES, HASHTAG_GROUPS, SPACE_SAMPLES, ALERTS, HASHTAG_AUTHORS, HASHTAG_AUTHOR_DAYS)
}
# raw_tweets: an optional raw sample beside counts-form hashtags, in the raw form (HASHTAG_TWEETS), for authors
# and texts only (pulse.metrics.drivers); the volume always comes from hashtags.
DATASETS = (
    "spaces",
    "hashtags",
    "rallies",
    "parties",
    "hashtag_groups",
    "space_samples",
    "alerts",
    "raw_tweets",
    "hashtag_authors",
    "hashtag_author_days",
)


def hashtag_contract(columns: list[str], file: str) -> Contract:
    """Detect the hashtags form from the header: raw tweets (created_at) or counts (period_start)."""
    if "created_at" in columns:
        return HASHTAG_TWEETS
    if "period_start" in columns:
        return HASHTAG_COUNTS
    raise ValidationError(
        [
            Problem(
                file,
                1,
                None,
                ", ".join(columns),
                "not a hashtags file: expected the counts form (hashtag, party, period_start, tweets) "
                "or raw tweets (created_at, party, hashtag)",
            )
        ]
    )


def contract_for(dataset: str, columns: list[str], file: str) -> Contract:
    """The contract a file of `dataset` must meet, given its header."""
    if dataset == "hashtags":
        return hashtag_contract(columns, file)
    if dataset == "raw_tweets":
        return HASHTAG_TWEETS
    return CONTRACTS[dataset]


def parse_timestamp(raw: pl.Expr) -> pl.Expr:
    """ISO 8601 text to UTC: an offset or Z is honoured, no offset means UTC already."""
    parts = raw.str.extract_groups(_TIMESTAMP)
    offset = parts.struct.field("4")
    offset = (
        pl.when(offset.is_null() | offset.str.to_uppercase().eq("Z"))
        .then(pl.lit("+00:00"))
        .when(offset.str.len_chars() == 3)
        .then(offset + ":00")
        .when(offset.str.len_chars() == 5)
        .then(offset.str.slice(0, 3) + ":" + offset.str.slice(3))
        .otherwise(offset)
    )
    normalised = pl.concat_str(
        parts.struct.field("1"),
        pl.lit("T"),
        parts.struct.field("2").fill_null("00:00"),
        parts.struct.field("3").fill_null(":00"),
        offset,
    )
    return normalised.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_zone="UTC", strict=False)


def temporal_as_utc(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """A Datetime or Date column as UTC microseconds (a time without a zone is UTC); None for other types."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return raw.dt.replace_time_zone("UTC").dt.cast_time_unit("us")
        return raw.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    if isinstance(dtype, pl.Date):
        return raw.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return None


def _as_timestamp(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    typed = temporal_as_utc(raw, dtype)
    return typed if typed is not None else parse_timestamp(raw.cast(pl.String).str.strip_chars())


def _as_float(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    value = raw if dtype.is_numeric() else raw.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
    return value.cast(pl.Float64)


def _as_number(raw: pl.Expr, dtype: pl.DataType, kind: str) -> pl.Expr:
    value = _as_float(raw, dtype)
    if kind == "float":
        return pl.when(value.is_finite()).then(value)
    # Spreadsheets write whole numbers as 446000.0; accept those, reject 12.5. Beyond MAX_COUNT is out of
    # range (and 1e19 would not even fit the 64-bit integer it is cast to).
    whole = value.is_finite() & (value == value.round(0)) & (value.abs() <= MAX_COUNT)
    return pl.when(whole).then(value).cast(pl.Int64)


def _as_date(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, pl.Date):
        return raw
    return raw.cast(pl.String).str.strip_chars().str.to_date("%Y-%m-%d", strict=False)


def _parse(column: Column, dtype: pl.DataType) -> pl.Expr:
    raw = pl.col(column.name)
    if column.kind == "datetime":
        return _as_timestamp(raw, dtype)
    if column.kind == "date":
        return _as_date(raw, dtype)
    if column.kind in ("int", "float"):
        return _as_number(raw, dtype, column.kind)
    if column.kind == "bool":
        return _as_bool(raw, dtype)
    return raw.cast(pl.String).str.strip_chars()


def _as_bool(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Boolean:
        return raw
    text = raw.cast(pl.String).str.strip_chars().str.to_lowercase()
    return pl.when(text.is_in(["true", "1"])).then(True).when(text.is_in(["false", "0"])).then(False)


# Spreadsheets export dates as 20/04/2022 or 4/20/2022; say so, since the fix is to change the cell format.
_SLASHED_DATE = r"^\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"


def _why_unparsable(raw: pl.Expr, kind: str) -> str | pl.Expr:
    if kind == "int":
        value = _as_float(raw, pl.String)
        too_big = value.is_finite() & (value.abs() > MAX_COUNT)
        return pl.when(too_big).then(pl.lit(_TOO_BIG)).otherwise(pl.lit(_WHAT[kind]))
    if kind != "datetime":
        return _WHAT[kind]
    spreadsheet = "; it looks like a spreadsheet date: format the column as YYYY-MM-DD hh:mm and export again"
    return (
        pl.when(raw.str.contains(_SLASHED_DATE)).then(pl.lit(_WHAT[kind] + spreadsheet)).otherwise(pl.lit(_WHAT[kind]))
    )


_WHAT = {
    "datetime": "not an ISO 8601 timestamp (e.g. 2022-04-20T17:00:00Z)",
    "date": "not a date (YYYY-MM-DD)",
    "int": "not a whole number",
    "bool": "not true or false",
    "float": "not a number",
}
_KINDS = {
    "str": "text",
    "int": "whole numbers",
    "float": "numbers",
    "datetime": "times",
    "date": "dates",
    "bool": "true or false",
}
_TOO_BIG = f"out of range: a count above {MAX_COUNT:,} is not accepted"


def utc_window() -> tuple[datetime, datetime]:
    """The plausible times (see config.date_window), as [first, end) in UTC: the last date is included whole."""
    earliest, latest = date_window()
    return datetime.combine(earliest, time(), UTC), datetime.combine(latest + timedelta(days=1), time(), UTC)


def outside_window(utc: pl.Expr) -> pl.Expr:
    """Where a UTC time lies outside the plausible window (null stays null)."""
    first, end = utc_window()
    return (utc < first) | (utc >= end)


def _why_out_of_window() -> str:
    first, end = utc_window()
    last: date = (end - timedelta(days=1)).date()
    return (
        f"out of range: times must lie between {first.date()} and {last} "
        "(set PULSE_EARLIEST_DATE / PULSE_LATEST_DATE to change the window)"
    )


# Types a file's column may have to be read as each kind; anything else (lists, structs, durations, binary)
# is reported by column rather than cast (which fails, or turns a list into text that looks like data).
def _readable(dtype: pl.DataType, kind: str) -> bool:
    if dtype in (pl.String, pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum | pl.Categorical):
        return True
    if kind == "datetime":
        return isinstance(dtype, pl.Datetime | pl.Date)
    if kind == "date":
        return isinstance(dtype, pl.Date)
    if kind == "bool":
        return dtype == pl.Boolean or dtype.is_integer()
    return dtype.is_numeric()  # numbers, or for text columns ids written as numbers


def _text(column: str) -> pl.Expr:
    """The cell as written, stripped, with empty text as null."""
    text = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(text != "").then(text)


def validate(
    frame: pl.DataFrame,
    contract: Contract,
    file: str,
    first_line: int = 2,
    unit: str = "line",
    positions: str | None = None,
) -> pl.DataFrame:
    """Check `frame` (as read from `file`) against `contract`; return it typed, or raise ValidationError.

    `first_line` is the number of the first data row in `unit`s: line 2 for CSV and Excel (after the header),
    row 1 for Parquet. `positions` names a column with each row's 0-based position in the file, when `frame`
    holds only some of its rows (problems are then reported at their place in the file).
    """
    missing = [c for c in contract.required if c not in frame.columns]
    if missing:
        found = ", ".join(c for c in frame.columns if c != positions) or "no columns"
        raise ValidationError(
            [Problem(file, None, c, None, f"missing required column (found: {found})") for c in missing]
        )
    columns = [c for c in contract.columns if c.name in frame.columns]
    unreadable = [c for c in columns if not _readable(frame.schema[c.name], c.kind)]
    if unreadable:
        raise ValidationError(
            [
                Problem(
                    file,
                    None,
                    c.name,
                    frame.schema[c.name].base_type().__name__.lower(),
                    f"a column of this type cannot hold {_KINDS[c.kind]}",
                )
                for c in unreadable
            ]
        )
    present = {c.name for c in columns}
    checks: list[tuple[str, str, pl.Expr]] = []  # (column, reason, broken-flag expression)
    typed = frame.select(
        (pl.col(positions).cast(pl.Int64) if positions else pl.int_range(pl.len(), dtype=pl.Int64)).alias("__row"),
        *[_text(c.name).alias(f"__raw_{c.name}") for c in columns],
        *[_parse(c, frame.schema[c.name]).alias(c.name) for c in columns],
    )
    for c in columns:
        raw, parsed = pl.col(f"__raw_{c.name}"), pl.col(c.name)
        if not c.nullable:
            checks.append((c.name, "a value is required here", raw.is_null()))
        if c.kind != "str":
            checks.append((c.name, _why_unparsable(raw, c.kind), raw.is_not_null() & parsed.is_null()))
        if c.nonnegative:
            checks.append((c.name, "a count cannot be negative", parsed < 0))
        if c.kind == "datetime":
            checks.append((c.name, _why_out_of_window(), outside_window(parsed)))
    if contract.key:
        forms = {k.column: k.form for k in contract.key_forms}
        keys = [forms.get(c, lambda e: e)(pl.col(c)).alias(c) for c in contract.key]
        first = (pl.col("__row").min().over(keys) + first_line).cast(pl.String)
        label, note = "/".join(contract.key), "".join(k.note for k in contract.key_forms)
        checks.append(
            (
                contract.key[0],
                pl.format("duplicate {} (first on {} {}{})", pl.lit(label), pl.lit(unit), first, pl.lit(note)),
                pl.struct(keys).is_duplicated() & ~pl.struct(keys).is_first_distinct(),
            )
        )
    for rule in contract.rules:
        if set(rule.needs) <= present:
            checks.append((rule.column, rule.reason, rule.broken()))

    problems = _collect_problems(typed, checks, file, first_line, unit)
    if problems:
        raise ValidationError(*problems)
    return typed.select(contract_columns(contract, present))


def contract_columns(contract: Contract, present: set[str]) -> list[pl.Expr]:
    """Every contract column in contract order, typed; optional columns absent from the file are null."""
    return [
        pl.col(c.name) if c.name in present else pl.lit(None, DTYPES[c.kind]).alias(c.name) for c in contract.columns
    ]


def _collect_problems(
    typed: pl.DataFrame, checks: list[tuple[str, str | pl.Expr, pl.Expr]], file: str, first_line: int, unit: str
) -> tuple[list[Problem], int] | None:
    flags = typed.select(*[flag.fill_null(False).alias(f"__check{i}") for i, (_, _, flag) in enumerate(checks)])
    counts = flags.sum().row(0)
    if not any(counts):
        return None
    problems: list[Problem] = []
    for i, ((column, reason, _), count) in enumerate(zip(checks, counts, strict=True)):
        if not count or len(problems) >= MAX_REPORTED_PROBLEMS:
            continue
        reason_expr = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
        rows = (
            typed.with_columns(flags.get_column(f"__check{i}").alias("__flag"), reason_expr.alias("__reason"))
            .filter(pl.col("__flag"))
            .head(MAX_REPORTED_PROBLEMS - len(problems))
            .select(
                (pl.col("__row") + first_line).alias("line"),
                pl.col(f"__raw_{column}").alias("value"),
                pl.col("__reason").alias("reason"),
            )
        )
        problems += [
            Problem(file, r["line"], column, r["value"], r["reason"], unit) for r in rows.iter_rows(named=True)
        ]
    problems.sort(key=lambda p: (p.line or 0, p.column or ""))
    return problems, sum(counts)
