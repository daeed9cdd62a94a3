"""Validation: a frame read from a file, parsed and checked cell by cell against its contract (pulse.data.contract).

A file is validated as a whole: every problem is collected (up to a cap) with its line,
column and value, and the file is rejected if there is any. Nothing is loaded partially.
"""

from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from pulse.config import date_window
from pulse.data.contract import DTYPES, MAX_COUNT, Column, Contract
from pulse.errors import MAX_REPORTED_PROBLEMS, Problem, ValidationError

# ISO 8601: a date, optionally a time (seconds and fractions optional) and an offset or Z.
_TIMESTAMP = r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$"


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
