"""Raw tweets at scale: millions of tweets to hourly counts and unique authors per day, without keeping the rows.

The general path (pulse.data.load: read every cell as text, validate every cell, then aggregate) keeps several
copies of the rows and parses each timestamp with a regular expression: fine for thousands of rows, but
minutes and gigabytes for millions. Here a raw-tweets file is read once, only the columns the aggregates
and the contract's row rules need, and every row rule is checked on the way in. Rows are grouped by UTC
hour with integer arithmetic; only the few distinct hours, hashtags and parties are then mapped to local
hours, normalised and merged. When a row breaks a rule, `read_rows` says so and the caller runs the general
validator instead, so a bad file gets exactly the report (file, line, column, value) it always got.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pulse import config
from pulse.data import budget
from pulse.data.contract import (
    HASHTAG_COUNTS,
    HASHTAG_TWEETS,
    MAX_COUNT,
    ZULU_FORMAT,
    local_date,
    local_hour,
    normalise_hashtag,
    shown_spellings,
    tidy_hashtag,
)
from pulse.data.validation import outside_window, parse_timestamp, temporal_as_utc, utc_window, validate

US_PER_HOUR = 3_600_000_000
US_PER_QUARTER = US_PER_HOUR // 4
MAX_BUCKETS = 2_000_000  # a time range longer than this many buckets is mapped row by row instead
MAX_SPELLINGS = 100_000  # categories to rank before only the ones in use are: keeps packed keys below 2^63
# Timestamps as our exports and generator write them (to the second, with Z): one fixed format, not the general regex.
ZULU = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"
REQUIRED = ("created_at", "party", "hashtag")
COUNTS = ("retweets", "likes")
TEXT = (pl.String, pl.Categorical, pl.Enum)


def read_rows(path: Path, extra: tuple[str, ...] = ()) -> pl.DataFrame | None:
    """A raw-tweets file as one compact row per tweet: created_at (UTC), party and hashtag (categoricals, as
    written), author_id when the file has it, and the `extra` text columns it has (as written).

    None when the general path must read the file instead: it is not raw tweets, not a CSV or Parquet file,
    has unusual column types, cannot be read, or a row breaks a row rule of the contract (an empty or
    unparsable time, a count that is not a whole number or is negative). The general path then reports it.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            source = pl.scan_parquet(path)
        elif suffix == ".csv":
            source = pl.scan_csv(path, infer_schema=False, encoding="utf8")
        else:
            return None
        schema = source.collect_schema()
        if not set(REQUIRED) <= set(schema.names()):
            return None
        columns, broken = row_columns(schema)
        if columns is None:
            return None
        columns += [pl.col(c).cast(pl.String) for c in extra if c in schema]
        # Counted before anything is read: from the footer for Parquet, by a scan of the line breaks for CSV.
        rows = source.select(pl.len()).collect().item()
        budget.check_rows(path.name, rows, config.max_raw_tweets(), "PULSE_MAX_RAW_TWEETS")
        if suffix == ".csv":  # one pass: the checks ride along with the read
            rows = source.select(*columns, broken.alias("__broken")).collect()
            return None if rows["__broken"].any() else rows.drop("__broken")
        # Parquet: row-group statistics usually prove there is no null time and no negative count without
        # reading a value; where they cannot, polars reads just those columns to count the broken rows.
        if source.filter(broken).select(pl.len()).collect().item():
            return None
        # Text columns are dictionary-encoded: read them as such, straight into categoricals, instead of
        # materialising 10^7 strings and hashing them back into a dictionary.
        dictionary = [c for c in ("party", "hashtag") if schema[c] == pl.String]
        rows = source.select(c for c in columns if c.meta.output_name() not in dictionary).collect()
        if dictionary:
            with pq.ParquetFile(path, read_dictionary=dictionary) as file:  # not read_table: no dataset machinery
                keys = pl.from_arrow(file.read(columns=dictionary))
            rows = rows.hstack(keys.get_columns())
        return rows
    except (pl.exceptions.PolarsError, pa.ArrowException, OSError):
        return None  # unreadable, empty, not UTF-8, ragged...: the general reader words the report


def report_broken_rows(path: Path, file: str | None = None) -> None:
    """Raise the contract's report for a raw-tweets file with broken rows, validating only those rows.

    `file` names the file in the report (default: its name; an archive's files may share one, part-0.parquet).

    The general validator holds the whole file as text and typed (4.4 GB for 7M rows of CSV). Every rule
    for raw tweets concerns one row, so validating just the rows that break one gives the same report
    (problems, lines, values, total) at the memory cost of those rows. Returns, without raising, when the
    file is not read this way or no row is found broken: the general path then reads it.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            source, first_line, unit = pl.scan_parquet(path, row_index_name="__position"), 1, "row"
        elif suffix == ".csv":
            source = pl.scan_csv(path, infer_schema=False, encoding="utf8", row_index_name="__position")
            first_line, unit = 2, "line"
        else:
            return
        schema = source.collect_schema()
        if not set(REQUIRED) <= set(schema.names()):
            return
        _, broken = row_columns(schema)
        if broken is None:
            return
        for column in ("party", "hashtag"):  # required: empty once stripped is broken too
            broken |= pl.col(column).cast(pl.String).str.strip_chars().fill_null("") == ""
        if suffix == ".csv":
            source = source.with_columns(_physical_line(schema))
        flagged = source.filter(broken).collect()
    except (pl.exceptions.PolarsError, OSError):
        return
    if not flagged.is_empty():
        validate(flagged, HASHTAG_TWEETS, file or path.name, first_line, unit, positions="__position")


def _physical_line(schema: pl.Schema) -> pl.Expr:
    """A CSV row's position counted in lines: a quoted line break, in the header or a row before, adds one."""
    cells = [c for c in schema.names() if c != "__position"]
    inside = pl.sum_horizontal(pl.col(c).str.count_matches("\n", literal=True).fill_null(0) for c in cells)
    before = inside.cast(pl.Int64).cum_sum() - inside.cast(pl.Int64)
    header = sum(name.count("\n") for name in cells)
    return (pl.col("__position").cast(pl.Int64) + before + header).alias("__position")


def row_columns(schema: pl.Schema) -> tuple[list[pl.Expr] | None, pl.Expr | None]:
    """The compact columns to read, and the expression flagging rows that break a row rule."""
    created = _utc(pl.col("created_at"), schema["created_at"])
    if created is None or not all(isinstance(schema[c], TEXT) for c in ("party", "hashtag")):
        return None, None
    # A time is broken when missing (or, as text, unparsable) or outside the plausible window. A typed time is
    # tested as stored, against bounds of its own type, so that Parquet statistics answer without a read.
    if schema["created_at"] == pl.String:
        broken = created.is_null() | outside_window(created).fill_null(False)
    else:
        broken = pl.col("created_at").is_null() | _outside_window_as_stored(schema["created_at"])
    for name in (c for c in COUNTS if c in schema):
        flag = _count_broken(pl.col(name), schema[name])
        if flag is None:
            return None, None
        broken |= flag
    columns = [created.alias("created_at"), *[pl.col(c).cast(pl.Categorical).alias(c) for c in ("party", "hashtag")]]
    if "author_id" in schema:
        dtype = schema["author_id"]
        if not (isinstance(dtype, TEXT) or dtype.is_integer()):
            return None, None
        columns.append(pl.col("author_id") if dtype.is_integer() else pl.col("author_id").cast(pl.String))
    return columns, broken


def _outside_window_as_stored(dtype: pl.DataType) -> pl.Expr:
    """Where a Date or Datetime column lies outside the plausible window, compared in its own type and zone."""
    first, end = utc_window()
    column = pl.col("created_at")
    if isinstance(dtype, pl.Date):
        return (column < first.date()) | (column >= end.date())
    # A time without a zone is UTC by the contract; one with a zone is compared in it.
    bounds = [pl.lit(b.replace(tzinfo=None)).dt.cast_time_unit(dtype.time_unit) for b in (first, end)]
    if dtype.time_zone is not None:
        bounds = [b.dt.replace_time_zone("UTC").dt.convert_time_zone(dtype.time_zone) for b in bounds]
    return (column < bounds[0]) | (column >= bounds[1])


def _utc(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """A time column as UTC microseconds, null where the contract would reject it (empty or not ISO 8601)."""
    typed = temporal_as_utc(raw, dtype)
    if typed is not None or dtype != pl.String:
        return typed
    # One fixed format for the usual shape; the general parser only for the (usually no) rows left over.
    zulu = pl.when(raw.str.contains(ZULU)).then(raw.str.to_datetime(ZULU_FORMAT, time_unit="us", strict=False))
    zulu = zulu.dt.replace_time_zone("UTC")
    leftover = pl.when(zulu.is_null()).then(raw.str.strip_chars())
    return pl.coalesce(zulu, parse_timestamp(leftover))


def _count_broken(raw: pl.Expr, dtype: pl.DataType) -> pl.Expr | None:
    """Where a count breaks the contract: not a whole number, or negative (an empty cell is allowed)."""
    # Null where the cell is empty: a filter drops those rows and any() skips them, and a plain comparison
    # lets polars prove from Parquet statistics that no row is negative without reading the column.
    if dtype.is_integer():
        return (raw < 0) | (raw > MAX_COUNT)
    if dtype.is_float():
        return ~raw.is_finite() | (raw != raw.round(0)) | (raw < 0) | (raw > MAX_COUNT)
    if dtype != pl.String:
        return None
    whole = raw.str.to_integer(strict=False)
    # The rest (blanks around a number, "446000.0" as a spreadsheet writes whole numbers, or no number at
    # all) goes the general way: stripped, parsed as a float, whole and finite. Usually no row at all.
    text = pl.when(whole.is_null()).then(raw).str.strip_chars()
    text = pl.when(text != "").then(text)
    rest = text.cast(pl.Float64, strict=False)
    rest_broken = text.is_not_null() & (
        rest.is_null() | ~rest.is_finite() | (rest != rest.round(0)) | (rest < 0) | (rest > MAX_COUNT)
    )
    return ((whole < 0) | (whole > MAX_COUNT)).fill_null(False) | rest_broken.fill_null(False)


def _hour_table(first: int, last: int, tz: str) -> tuple[int, pl.DataFrame] | None:
    """UTC buckets from `first` to `last` (µs) with the local hour and date each falls in, and their width.

    A bucket (an hour, else a quarter hour for zones such as India's or Nepal's) qualifies when all of it lies
    in one local hour: the offset is the same at both ends and so is the local hour. None when neither width
    qualifies everywhere (a zone with odd offsets) or the range is too long to tabulate.
    """
    for width in (US_PER_HOUR, US_PER_QUARTER):
        low, high = first // width, last // width
        if high - low >= MAX_BUCKETS:
            return None
        start = (pl.int_range(low, high + 1, dtype=pl.Int64, eager=True) * width).cast(pl.Datetime("us", "UTC"))
        table = pl.DataFrame({"__start": start}).with_columns(
            (pl.col("__start") + pl.duration(microseconds=width - 1)).alias("__end")
        )
        local = {end: pl.col(end).dt.convert_time_zone(tz) for end in ("__start", "__end")}
        offset = {end: local[end].dt.replace_time_zone(None) - pl.col(end).dt.replace_time_zone(None) for end in local}
        hour = {end: local[end].dt.truncate("1h").dt.convert_time_zone("UTC") for end in local}
        table = table.select(
            (pl.col("__start").dt.epoch("us") // width - low).alias("__bucket"),
            hour["__start"].alias("period_start"),
            local["__start"].dt.date().alias("date"),
            ((offset["__start"] == offset["__end"]) & (hour["__start"] == hour["__end"])).alias("__whole"),
        )
        if table["__whole"].all():
            return width, table.drop("__whole")
    return None


def time_keys(rows: pl.DataFrame, tz: str) -> tuple[pl.Expr, pl.Expr, pl.DataFrame]:
    """Per row, a dense bucket index and its local day (as days since 1970), and the table from bucket index
    (`__bucket`, 0..n-1) to the local hour's UTC start (period_start) and local date."""
    us = pl.col("created_at").dt.epoch("us")
    first, last = rows.select(us.min().alias("first"), us.max().alias("last")).row(0)
    found = _hour_table(first, last, tz)
    if found is None:  # map every row through the time zone: slower, always right
        period = local_hour(pl.col("created_at"), tz)
        periods = rows.select(period.unique().sort()).to_series()
        table = periods.to_frame("period_start").with_row_index("__bucket")
        table = table.with_columns(
            pl.col("__bucket").cast(pl.Int64), local_date(pl.col("period_start"), tz).alias("date")
        )
        bucket = pl.lit(periods).search_sorted(period).cast(pl.Int64)
    else:
        width, table = found
        bucket = us // width - first // width
    return bucket, pl.lit(table["date"].to_physical()).gather(bucket), table


def aggregate(rows: pl.DataFrame, tz: str, require: bool = True) -> tuple[pl.DataFrame, pl.DataFrame | None] | None:
    """Hourly counts by local hour and unique authors per local day of tweets (created_at in UTC, party, hashtag).

    Authors are counted where `rows` has an author_id; with none (no column, or every one empty) the authors
    frame is None. With `require`, None when a party or hashtag is empty: the contract requires them, and the
    general validator reports where.
    """
    if rows.is_empty():
        return pl.DataFrame(schema=HASHTAG_COUNTS.schema), None
    # As categoricals, hashtags and parties are small integer codes: their few distinct spellings are
    # normalised once, and every row gets the rank of its normalised value by indexing, not hashing text.
    rows = rows.with_columns(pl.col("hashtag", "party").cast(pl.Categorical))
    if require and (rows["hashtag"].null_count() or rows["party"].null_count()):
        return None
    key = pair_key(rows)
    if require and any(_uses_blank(rows[c], s) for c, s in (("hashtag", key.tags), ("party", key.parties))):
        return None
    names = _shown_tags(rows["hashtag"], key.tags), rank_values(key.parties)
    bucket, day, table = time_keys(rows, tz)
    # One integer key per (bucket, party, hashtag), in that order: the cheapest thing to group 10^7 rows by,
    # and sorting the keys sorts the result by time, party and hashtag (ranks sort as the text they stand for).
    n_tags, n_pairs, pair = key.n_tags, key.n_pairs, key.pair
    hourly = rows.lazy().group_by((bucket * n_pairs + pair).alias("__key")).agg(pl.len().alias("tweets"))
    # A blank author id is no author, as a missing one is (compact_ids): counted as a tweet, not as an author.
    ids = compact_ids(rows["author_id"]) if "author_id" in rows.columns else None
    with_authors = ids is not None and ids.null_count() < rows.height
    if with_authors:
        days = table["date"].to_physical()
        first_day = int(days.min())
        keyed = rows.lazy().select(
            ((day - first_day).cast(pl.Int64) * n_pairs + pair).alias("__key"),
            pl.lit(ids).alias("__author"),
        )
        if ids.null_count():
            keyed = keyed.filter(pl.col("__author").is_not_null())
        # unique().len() rather than n_unique(): the same count, about a quarter faster in a group-by here.
        daily = keyed.group_by("__key").agg(pl.col("__author").unique().len().cast(pl.Int64).alias("unique_authors"))
        hourly, daily = pl.collect_all([hourly, daily])  # both scans at once
    else:
        hourly = hourly.collect()
    counts = (
        hourly.lazy()
        .sort("__key")
        .select(
            (pl.col("__key") % n_pairs).alias("__pair"),
            pl.lit(table["period_start"]).gather(pl.col("__key") // n_pairs).alias("period_start"),
            pl.col("tweets").cast(pl.Int64),
        )
    )
    if not table["period_start"].is_unique().all():
        # Quarter-hour buckets (or a repeated hour when clocks go back) merge into one local hour.
        counts = counts.group_by("period_start", "__pair").agg(pl.col("tweets").sum()).sort("period_start", "__pair")
    counts = counts.select(*pair_names("__pair", n_tags, *names), "period_start", "tweets").collect()
    if not with_authors:
        return counts, None
    authors = (
        daily.lazy()
        .sort("__key")
        .select(
            *pair_names(pl.col("__key") % n_pairs, n_tags, *names),
            (pl.col("__key") // n_pairs + first_day).cast(pl.Int32).cast(pl.Date).alias("date"),
            "unique_authors",
        )
        .collect()
    )
    return counts, authors


@dataclass(frozen=True)
class PairKey:
    """One integer per row for its (party, hashtag): `pair` = party rank * n_tags + hashtag rank, ranks of the
    normalised values (hashtag keys, stripped parties), so spellings that normalise alike share a pair. A key of
    (x, pair) packs as x * n_pairs + pair; pair_names turns a pair back into the hashtag and party."""

    tags: pl.DataFrame  # code_spellings of the hashtags
    parties: pl.DataFrame  # code_spellings of the parties
    n_tags: int
    n_pairs: int
    pair: pl.Expr


def pair_key(rows: pl.DataFrame) -> PairKey:
    """The (party, hashtag) key of rows whose party and hashtag are categoricals, read from their few spellings."""
    tags = code_spellings(rows["hashtag"], normalise_hashtag(pl.col("raw")))
    parties = code_spellings(rows["party"], pl.col("raw").str.strip_chars())
    n_tags = int(tags["rank"].max()) + 1
    n_pairs = (int(parties["rank"].max()) + 1) * n_tags
    pair = spelling_rank("party", parties).cast(pl.Int64) * n_tags + spelling_rank("hashtag", tags).cast(pl.Int64)
    return PairKey(tags, parties, n_tags, n_pairs, pair)


def code_spellings(column: pl.Series, normalised: pl.Expr) -> pl.DataFrame:
    """The spellings a categorical key's codes stand for: code, raw text, normalised value and the value's rank.

    Read from the categories, not from 10^7 rows: codes up to the largest one in use, which may include a
    few strings the process interned for other columns (they rank like any other and match no row). When
    the process has interned very many, only the codes in use are kept, so the packed keys stay small.
    """
    codes = column.to_physical()
    spellings = column.dtype.categories.to_series()[: codes.max() + 1].to_frame("raw").with_row_index("code")
    if spellings.height > MAX_SPELLINGS:
        spellings = spellings.filter(pl.col("code").is_in(codes.unique().implode()))
    return (
        spellings.drop_nulls()
        .with_columns(normalised.alias("value"))
        .with_columns((pl.col("value").rank("dense") - 1).cast(pl.UInt32).alias("rank"))
    )


def spelled_keys(rows: pl.DataFrame) -> pl.DataFrame | None:
    """`rows` with their categorical party and hashtag as text, as contract.one_spelling writes them: parties
    stripped, each hashtag in the tidied spelling most rows use. Read from their few spellings, not from 10^7
    strings; None when a party or hashtag is missing or blank (the contract's validator then reports where)."""
    if rows["hashtag"].null_count() or rows["party"].null_count():
        return None
    key = pair_key(rows)
    if any(_uses_blank(rows[c], s) for c, s in (("hashtag", key.tags), ("party", key.parties))):
        return None
    return rows.with_columns(
        pl.lit(_shown_tags(rows["hashtag"], key.tags)).gather(spelling_rank("hashtag", key.tags)).alias("hashtag"),
        pl.lit(rank_values(key.parties)).gather(spelling_rank("party", key.parties)).alias("party"),
    )


@dataclass(frozen=True)
class AuthorDays:
    """Each author's distinct tweets per local day, party and hashtag (the rollup's hashtag_author_days)."""

    table: pl.DataFrame  # date, hashtag, party, author_id (null: the tweets without one), tweets
    distinct: bool  # no tweet id is on two rows of one party and hashtag: sums of days are exact for any range


def author_days(rows: pl.DataFrame, tz: str, wanted: pl.Expr | None = None, shown: bool = False) -> AuthorDays:
    """Each author's distinct tweets (tweet_count) per local day, party and hashtag of rows with an author_id
    column; a blank author is null, and holds the tweets without one. Days in `wanted` only (all when None);
    hashtags as their keys, or with `shown` as the spelling most rows use.

    Keyed as aggregate keys its tables: one integer per (local day, party, hashtag) from the categoricals' few
    spellings and the hour table, ids as integers where exact; no text is touched per row. Where no tweet id is
    on two rows of one (party, hashtag), which is checked once, a group's distinct tweets are its rows: each
    (author, day, pair) is packed into one integer, and the integers sorted and counted in runs (several times
    faster than hashing 10^7 keys of two columns).
    """
    rows = rows.with_columns(pl.col("hashtag", "party").cast(pl.Categorical))
    key = pair_key(rows)
    _, day, _ = time_keys(rows, tz)
    n_pairs = key.n_pairs

    def ids(column: str) -> pl.Series:
        if column not in rows.columns:
            return pl.Series(column, [None] * rows.height, dtype=pl.String)
        return compact_ids(rows[column])

    authors, tweet_ids = ids("author_id"), ids("tweet_id")
    # Distinct ids per pair: a count of distinct integers per few groups, far cheaper than the per-author counts.
    ids_of = pl.col("__id")
    distinct = (
        rows.lazy()
        .select(key.pair.alias("__pair"), pl.lit(tweet_ids).alias("__id"))
        .group_by("__pair")
        .agg((ids_of.drop_nulls().n_unique() == ids_of.count()).alias("__distinct"))
        .select(pl.col("__distinct").all())
        .collect()
        .item()
    )
    first_day = rows.select(day.min()).item()
    day_pair = (day.cast(pl.Int64) - first_day) * n_pairs + key.pair
    n_day_pairs = (rows.select(day.max()).item() - first_day + 1) * n_pairs
    codes, n_codes, author_of = id_codes(authors, n_day_pairs)
    if distinct and n_codes * n_day_pairs < 2**63:
        packed = pl.lit(codes).cast(pl.Int64) * n_day_pairs + day_pair
        per_author = (
            rows.lazy()
            .select(packed.alias("__packed"))
            .sort("__packed")
            .group_by("__packed", maintain_order=True)  # sorted: counted in runs
            .agg(pl.len().cast(pl.Int64).alias("tweets"))
            .select(
                (pl.col("__packed") % n_day_pairs).alias("__key"),
                author_of(pl.col("__packed") // n_day_pairs).alias("author_id"),
                "tweets",
            )
        )
    else:
        per_author = (
            rows.lazy()
            .select(day_pair.alias("__key"), pl.lit(authors).alias("author_id"), pl.lit(tweet_ids).alias("tweet_id"))
            .group_by("__key", "author_id")
            .agg(tweet_count().alias("tweets"))
        )
    tags = _shown_tags(rows["hashtag"], key.tags) if shown else rank_values(key.tags)
    table = per_author.select(
        (pl.col("__key") // n_pairs + first_day).cast(pl.Int32).cast(pl.Date).alias("date"),
        *pair_names(pl.col("__key") % n_pairs, key.n_tags, tags, rank_values(key.parties)),
        "author_id",  # compact (as integers where exact): the rollup writes them as text
        "tweets",
    )
    return AuthorDays((table if wanted is None else table.filter(pl.col("date").is_in(wanted))).collect(), distinct)


def id_codes(ids: pl.Series, scale: int = 1) -> tuple[pl.Series, int, Callable[[pl.Expr], pl.Expr]]:
    """Ids as small integers to pack keys with, codes times `scale` below 2^63 where it can be: 0 for none, else
    the id plus one where ids are whole numbers that allow it, or else the id's rank among the distinct ids. With
    them, one more than the largest code, and what turns a code back into its id."""
    if ids.dtype.is_integer() and (ids.min() or 0) >= 0 and ((ids.max() or 0) + 2) * scale < 2**63:
        codes = (ids.cast(pl.Int64) + 1).fill_null(0)
        return codes, int(codes.max() or 0) + 1, lambda code: pl.when(code > 0).then(code - 1).cast(ids.dtype)
    named = pl.concat([pl.Series([None], dtype=ids.dtype), ids.drop_nulls().unique().sort()])
    return ids.rank("dense").cast(pl.Int64).fill_null(0), named.len(), lambda code: pl.lit(named).gather(code)


def _uses_blank(column: pl.Series, spellings: pl.DataFrame) -> bool:
    """Whether a row's key is blank once stripped (the contract requires a value): only blank codes are looked up."""
    blank = spellings.filter(pl.col("raw").str.strip_chars() == "")["code"]
    return not blank.is_empty() and column.to_physical().is_in(blank.implode()).any()


def spelling_rank(column: str, spellings: pl.DataFrame) -> pl.Expr:
    """Per row, the rank of the normalised value of a categorical key (spellings that normalise alike share it)."""
    lookup = pl.Series([None] * (spellings["code"].max() + 1), dtype=pl.UInt32).scatter(
        spellings["code"], spellings["rank"]
    )
    return pl.lit(lookup).gather(pl.col(column).to_physical())


def rank_values(spellings: pl.DataFrame) -> pl.Series:
    """The normalised value of each rank, in rank order."""
    return spellings.select("rank", "value").unique().sort("rank")["value"]


def _shown_tags(column: pl.Series, tags: pl.DataFrame) -> pl.Series:
    """Each hashtag rank's spelling as shown: the tidied spelling most rows use (contract.shown_spellings)."""
    # Counting the small integer codes is cheap (a bincount: a quarter of a group-by's time at 10^7 rows); the few
    # spellings they stand for are then tidied and chosen.
    uses = pl.Series("uses", np.bincount(column.to_physical().drop_nulls().to_numpy()), dtype=pl.Int64)
    spellings = (
        tags.filter(pl.col("code") < uses.len())
        .with_columns(pl.lit(uses).gather(pl.col("code")).alias("uses"))
        .filter(pl.col("uses") > 0)
        .select(pl.col("rank").alias("key"), tidy_hashtag(pl.col("raw")).alias("spelling"), "uses")
    )
    chosen = shown_spellings(spellings)
    # Every rank gets a name (ranks of spellings no row uses keep their value; no row refers to them).
    ranks = tags.select("rank", "value").unique().sort("rank")
    return (
        ranks.join(chosen, left_on="rank", right_on="key", how="left")
        .select(pl.coalesce("spelling", "value"))
        .to_series()
    )


def pair_names(pair: str | pl.Expr, n_tags: int, tag_names: pl.Series, party_names: pl.Series) -> list[pl.Expr]:
    """A (party rank, hashtag rank) pair key back to the hashtag (as shown) and party it stands for."""
    pair = pl.col(pair) if isinstance(pair, str) else pair
    return [
        pl.lit(tag_names).gather(pair % n_tags).alias("hashtag"),
        pl.lit(party_names).gather(pair // n_tags).alias("party"),
    ]


def compact_ids(authors: pl.Series) -> pl.Series:
    """Ids (of authors, of tweets) as the contract compares them (stripped text, a blank one missing), as integers
    when that is exact."""
    if authors.dtype.is_integer():
        return authors
    # X's user ids are decimal numbers: counting them as integers is exact when every id is written the one
    # way its number is (no sign, no leading zero, no blank), and cheaper than hashing text. A text that
    # parses as an integer is [+-]digits; it is the number's own spelling exactly when it starts with 1-9
    # (sorts at or after "1": '+', '-' and '0' sort before it) or is "0".
    numbers = authors.to_frame("text").select(
        pl.col("text").str.to_integer(strict=False).alias("number"),
        ((pl.col("text") >= "1") | (pl.col("text") == "0")).alias("canonical"),
    )
    exact = numbers.select(
        (pl.col("canonical") & pl.col("number").is_not_null()).sum() == authors.len() - authors.null_count()
    ).item()
    return numbers["number"] if exact else authors.str.strip_chars().replace("", None)


def tweet_count() -> pl.Expr:
    """Distinct tweets among rows: their distinct tweet_ids, and each row without one."""
    return (pl.col("tweet_id").drop_nulls().n_unique() + pl.col("tweet_id").null_count()).cast(pl.Int64)
