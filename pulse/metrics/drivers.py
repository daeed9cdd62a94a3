"""Who drives a hashtag: authors, how concentrated their tweets are, and copy-paste bursts (docs/metrics.md).

Pure functions over raw tweets as the contract types them (created_at in UTC, party, hashtag in one spelling,
optional tweet_id, author_id and text). A tweet that carries several hashtags is one row per hashtag; it is
one tweet wherever tweets are counted together (by tweet_id where present; rows without one are each a tweet).
"""

import os
from dataclasses import dataclass, replace

import polars as pl

from pulse.data.author_key import pseudonyms
from pulse.data.contract import DRIVER_COLUMNS, HASHTAG_TWEETS, TEXT_CHARS
from pulse.data.tweets import author_days, id_codes, tweet_count
from pulse.errors import PulseError
from pulse.metrics.filters import Filters, in_dates, in_parties
from pulse.metrics.hashtags import in_hashtags, with_campaign
from pulse.metrics.series import share_pct

BURST_MIN_ACCOUNTS_ENV = "PULSE_BURST_MIN_ACCOUNTS"
BURST_MIN_ACCOUNTS = 5  # distinct authors an episode needs to be a burst
BURST_GAP_S = 60  # consecutive tweets of one text further apart than this start a new episode
SHARE_TOPS = (1, 10, 50)  # the concentration chart: share of tweets by the top 1 %, 10 %, 50 % of authors
ACCOUNT_IDS_SHOWN = 20  # a burst lists at most this many of its accounts

DRIVERS = (
    "party",
    "tweets",
    "authors",
    "tweets_per_author",
    "top1pct_share_pct",
    "top10_share_pct",
    "single_tweet_authors_pct",
    "copy_burst_share_pct",
)
BURSTS = ("burst_id", "text", "party", "hashtags", "accounts", "tweets", "first_at", "last_at", "account_ids")
RAW_COLUMNS = {c: HASHTAG_TWEETS.schema[c] for c in DRIVER_COLUMNS}


@dataclass(frozen=True)
class DriverTables:
    """The "Who drives it" tables for one set of filters, per hashtag or per campaign (`key`)."""

    key: str
    drivers: pl.DataFrame  # key + DRIVERS, most tweets first
    concentration: pl.DataFrame  # key, party, top (1, 10, 50: per cent of authors), share_pct
    bursts: pl.DataFrame  # BURSTS, most accounts first
    has_text: bool  # any tweet in range has a text (bursts need it)


def burst_min_accounts() -> int:
    """PULSE_BURST_MIN_ACCOUNTS (a whole number of at least 2), else 5."""
    raw = os.environ.get(BURST_MIN_ACCOUNTS_ENV, "").strip()
    if not raw:
        return BURST_MIN_ACCOUNTS
    if not raw.isdigit() or int(raw) < 2:
        raise PulseError(f"{BURST_MIN_ACCOUNTS_ENV} must be a whole number of at least 2, not {raw!r}")
    return int(raw)


def normalise_text(text: pl.Expr) -> pl.Expr:
    """Lower case, without URLs and @mentions, whitespace collapsed: how copies of one text are matched."""
    return (
        text.str.to_lowercase()
        .str.replace_all(r"(?:https?://|www\.)\S*", " ")
        .str.replace_all(r"@\w+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def cut_text(text: pl.Expr) -> pl.Expr:
    """A text as it may leave the app: its first TEXT_CHARS characters."""
    return text.str.slice(0, TEXT_CHARS)


def copy_bursts(rows: pl.DataFrame, min_accounts: int = BURST_MIN_ACCOUNTS) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The copy-paste bursts of raw tweets with text, and the rows (tweet and hashtag) that fall in one.

    A text's tweets, in time order, form one episode while consecutive tweets are at most BURST_GAP_S apart;
    an episode with at least `min_accounts` distinct authors is a burst. Texts empty once normalised never are.
    The rows of one tweet (one per hashtag) share its time, so they always fall in the same episode.
    """
    texted = rows.filter(pl.col("text").is_not_null()).with_row_index("__index")
    # Each distinct text is normalised once, and its normalised form numbered: the episodes are then found by
    # sorting integers and times, however long the texts.
    texts = (
        texted.select(pl.col("text").unique())
        .with_columns(normalise_text(pl.col("text")).alias("__norm"))
        .filter(pl.col("__norm") != "")
        .select("text", pl.col("__norm").rank("dense").alias("__text_id"))
    )
    ordered = (
        texted.select("__index", "text", "created_at", "author_id")
        .join(texts, on="text", how="inner")
        .sort("__text_id", "created_at", "__index")
    )
    gap = pl.col("created_at").diff().dt.total_microseconds()
    starts = (pl.col("__text_id") != pl.col("__text_id").shift(1)).fill_null(True) | (gap > BURST_GAP_S * 1_000_000)
    episodes = ordered.select("__index", "created_at", "author_id", starts.cum_sum().alias("__episode"))
    big = (
        episodes.group_by("__episode")
        .agg(pl.col("author_id").drop_nulls().n_unique().alias("__accounts"))
        .filter(pl.col("__accounts") >= min_accounts)
    )
    members = (
        episodes.join(big.select("__episode"), on="__episode", how="semi")
        .join(texted, on=["__index", "created_at", "author_id"], how="inner", nulls_equal=True)
        .sort("__episode", "created_at", "__index")
    )
    bursts = members.group_by("__episode", maintain_order=True).agg(
        pl.col("text").first(),  # sorted by time: the first original text
        pl.col("hashtag").unique().sort().str.join("|").alias("hashtags"),
        pl.col("author_id").drop_nulls().n_unique().cast(pl.Int64).alias("accounts"),
        tweet_count().alias("tweets"),
        pl.col("created_at").min().alias("first_at"),
        pl.col("created_at").max().alias("last_at"),
        pl.col("author_id").drop_nulls().unique(maintain_order=True).head(ACCOUNT_IDS_SHOWN).alias("account_ids"),
    )
    # The most frequent party among the burst's tweets (a tweet counts once per party); a tie goes to the first
    # party in alphabetical order.
    party = (
        members.with_columns(pl.when(pl.col("tweet_id").is_null()).then("__index").alias("__row"))
        .unique(["__episode", "tweet_id", "__row", "party"])
        .group_by("__episode", "party")
        .agg(pl.len().alias("__n"))
        .sort("__episode", "__n", "party", descending=[False, True, False])
        .group_by("__episode", maintain_order=True)
        .agg(pl.col("party").first())
    )
    # Numbered in the order they are listed: the most accounts first, then the most tweets, then the earliest.
    bursts = (
        bursts.join(party, on="__episode")
        .sort("accounts", "tweets", "first_at", "text", descending=[True, True, False, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("burst_id"), cut_text(pl.col("text")))
        .select(*BURSTS)
    )
    return bursts, members.drop("__index", "__episode")


def _authors(rows: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per (key, party, author): the author's tweets (__n), most first (_ranked)."""
    authored = rows.filter(pl.col("author_id").is_not_null())
    return _ranked(authored.group_by(key, "party", "author_id").agg(tweet_count().alias("__n")))


def _ranked(authors: pl.DataFrame) -> pl.DataFrame:
    """Authors sorted once by their tweets, most first: within each group the first k are its k most active (a
    group keeps the frame's row order), so the tops (_top) need no rank per group."""
    return authors.sort("__n", descending=True)


def _top(percent: int | None) -> pl.Expr:
    """Tweets of the ceil(percent % of authors) most active authors of a group (the 10 most active for None), of
    authors sorted by _ranked."""
    top = 10 if percent is None else (pl.len() * percent + 99) // 100  # integer ceil: no float surprises
    return pl.col("__n").head(top).sum()


def _as_text(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """A few rows keyed by categoricals (the day counts' hashtags and parties) keyed by text, as every table is."""
    return frame.with_columns(pl.col(keys).cast(pl.String))


def hashtag_drivers(
    rows: pl.DataFrame,
    authors: pl.DataFrame,
    members: pl.DataFrame | None,
    key: str,
    anonymous: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """The drivers table of docs/metrics.md, most tweets first; `members` are burst rows (None without texts).

    A tweet has one author, so a group's tweets are its authors' tweets and the tweets without an author
    (`anonymous`: key, party, __anonymous; counted from `rows` when not given).
    """
    keys = [key, "party"]
    per_group = authors.group_by(keys).agg(
        pl.len().cast(pl.Int64).alias("authors"),
        pl.col("__n").sum().alias("__authored"),
        _top(1).alias("__top1pct"),
        _top(None).alias("__top10"),
        (pl.col("__n") == 1).sum().alias("__single"),
    )
    if anonymous is None:
        anonymous = rows.filter(pl.col("author_id").is_null()).group_by(keys).agg(tweet_count().alias("__anonymous"))
    per_group, anonymous, groups = (_as_text(f, keys) for f in (per_group, anonymous, rows.select(keys).unique()))
    table = groups.join(per_group, on=keys, how="left").join(anonymous, on=keys, how="left")
    if members is None:
        table = table.with_columns(pl.lit(None, pl.Float64).alias("copy_burst_share_pct"))
    else:
        table = table.join(_burst_counts(rows, members, keys), on=keys, how="left")
    tweets = pl.col("tweets")
    return (
        table.with_columns(
            (pl.col("__authored").fill_null(0) + pl.col("__anonymous").fill_null(0)).cast(pl.Int64).alias("tweets"),
            pl.col("authors").fill_null(0),
        )
        .with_columns(
            pl.when(pl.col("authors") > 0).then(tweets / pl.col("authors")).alias("tweets_per_author"),
            share_pct(pl.col("__top1pct"), tweets).alias("top1pct_share_pct"),
            share_pct(pl.col("__top10"), tweets).alias("top10_share_pct"),
            share_pct(pl.col("__single"), pl.col("authors")).alias("single_tweet_authors_pct"),
            *([] if members is None else [_burst_share()]),
        )
        .select(key, *DRIVERS)
        .sort("tweets", key, "party", descending=[True, False, False])
    )


def _burst_counts(rows: pl.DataFrame, members: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Per group with a text among `rows`: its tweets in bursts (__in_bursts); groups without text have no row."""
    in_bursts = members.group_by(keys).agg(tweet_count().alias("__in_bursts"))
    with_text = rows.filter(pl.col("text").is_not_null()).select(keys).unique()
    return with_text.join(in_bursts, on=keys, how="left").with_columns(pl.col("__in_bursts").fill_null(0))


def _burst_share() -> pl.Expr:
    """copy_burst_share_pct of a drivers table joined with _burst_counts: empty for a group without text."""
    in_bursts = pl.col("__in_bursts")
    return pl.when(in_bursts.is_not_null()).then(share_pct(in_bursts, pl.col("tweets"))).alias("copy_burst_share_pct")


def concentration(drivers: pl.DataFrame, authors: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per (key, party): the share of its tweets by the top 1 %, 10 % and 50 % of its authors (ceil of each)."""
    keys = [key, "party"]
    shares = (
        _as_text(authors.group_by(keys).agg(*[_top(top).alias(str(top)) for top in SHARE_TOPS]), keys)
        .join(drivers.select(*keys, "tweets"), on=keys)
        .unpivot(index=[*keys, "tweets"], variable_name="top", value_name="__top_tweets")
    )
    return shares.select(
        *keys,
        pl.col("top").cast(pl.Int64),
        share_pct(pl.col("__top_tweets"), pl.col("tweets")).alias("share_pct"),
    ).sort(*keys, "top")


def driver_tables(
    rows: pl.DataFrame,
    groups: pl.DataFrame,
    filters: Filters,
    tz: str,
    key: str = "hashtag",
    min_accounts: int = BURST_MIN_ACCOUNTS,
) -> DriverTables:
    """Drivers, concentration and bursts of raw tweets in the filters' dates, parties and hashtags (or whole
    campaigns, by campaign: in_hashtags)."""
    keep = in_dates(pl.col("created_at"), filters, tz) & in_parties(filters) & in_hashtags(filters, groups, key)
    chosen = rows.select(*RAW_COLUMNS.keys()).filter(keep)
    if key == "campaign":
        chosen = with_campaign(chosen, groups)
    has_text = chosen["text"].null_count() < chosen.height
    bursts, members = copy_bursts(chosen, min_accounts)
    authors = _authors(chosen, key)
    drivers = hashtag_drivers(chosen, authors, members if has_text else None, key)
    return DriverTables(key, drivers, concentration(drivers, authors, key), bursts, has_text)


def view_driver_tables(
    raw: pl.DataFrame | None,
    days: pl.DataFrame | None,
    groups: pl.DataFrame,
    filters: Filters,
    tz: str,
    key: str = "hashtag",
    min_accounts: int = BURST_MIN_ACCOUNTS,
    raw_days: pl.DataFrame | None = None,
    totals: pl.DataFrame | None = None,
) -> DriverTables | None:
    """Who drives each hashtag or campaign (`key`) in a view: per hashtag from day counts, the rollup's (`days`)
    or the raw rows' own (`raw_days`, raw_author_days: made once per load, used for whole days), with the bursts
    of the raw rows; else from the raw rows; None with neither. `totals`: author_totals of the day counts used."""
    if days is None and filters.hours is None:
        days = raw_days
    if days is not None and key == "hashtag":
        tables = author_day_tables(days, groups, filters, totals)
        return tables if raw is None else with_bursts(tables, raw, groups, filters, tz, min_accounts)
    if raw is None:
        return None
    return driver_tables(raw, groups, filters, tz, key, min_accounts)


def raw_author_days(rows: pl.DataFrame, tz: str) -> pl.DataFrame | None:
    """The raw rows' tweets per author and local day, as the rollup's hashtag_author_days: computed once per load,
    they give every whole-day view per hashtag (author_day_tables) without grouping the raw rows again. None when
    a tweet id is on two rows of one party and hashtag: a sum of days could count such a tweet twice."""
    counted = author_days(rows, tz, shown=True)
    return keyed_days(counted.table) if counted.distinct else None


def keyed_days(days: pl.DataFrame) -> pl.DataFrame:
    """Day counts with their hashtags and parties as categoricals: grouped by small integers, not by text. Done
    once per load (a view of keyed counts skips it), not once per view."""
    return days.with_columns(pl.col("hashtag", "party").cast(pl.Categorical))


def _summed(days: pl.DataFrame) -> pl.DataFrame:
    """Each author's tweets (__n) per hashtag and party, summed over their day counts (keyed_days).

    (author, hashtag, party) is packed into one integer where it fits (pulse.data.tweets.id_codes), and the
    integers sorted and summed in runs: several times faster than hashing millions of keys of three columns.
    """
    n_parties = (days["party"].to_physical().max() or 0) + 1
    pairs = days.select(
        (pl.col("hashtag").to_physical().cast(pl.Int64) * n_parties + pl.col("party").to_physical()).alias("__pair"),
        "hashtag",
        "party",
    )
    n_pairs = int(pairs["__pair"].max()) + 1 if pairs.height else 1
    codes, n_codes, author_of = id_codes(days["author_id"], n_pairs)
    if n_codes * n_pairs >= 2**63:
        return days.group_by("hashtag", "party", "author_id").agg(pl.col("tweets").sum().alias("__n"))
    named = pairs.unique("__pair")
    packed = pl.lit(codes) * n_pairs + pl.col("__pair")
    return (
        pairs.lazy()
        .select(packed.alias("__packed"), days["tweets"].alias("tweets"))
        .sort("__packed")
        .group_by("__packed", maintain_order=True)  # sorted: summed in runs
        .agg(pl.col("tweets").sum().alias("__n"))
        .select(
            (pl.col("__packed") % n_pairs).alias("__pair"),
            author_of(pl.col("__packed") // n_pairs).alias("author_id"),
            "__n",
        )
        .join(named.lazy(), on="__pair")
        .select("hashtag", "party", "author_id", "__n")
        .collect()
    )


def author_totals(days: pl.DataFrame) -> pl.DataFrame:
    """Each author's tweets per hashtag and party over every day of `days`: what a view of the whole range sums,
    summed once per load instead of on every such view (author_day_tables)."""
    return _summed(keyed_days(days))


def _whole_range(days: pl.DataFrame, filters: Filters) -> bool:
    """Whether the view's dates take every day the day counts hold (an hour preset's are not whole days: never)."""
    if filters.hours is not None or days.is_empty():
        return False
    ends = days.select(pl.col("date").min().alias("first"), pl.col("date").max().alias("last"))
    return ends.select(in_dates(pl.col("first"), filters) & in_dates(pl.col("last"), filters)).item()


def author_day_tables(
    days: pl.DataFrame, groups: pl.DataFrame, filters: Filters, totals: pl.DataFrame | None = None
) -> DriverTables:
    """Drivers and concentration per hashtag from day counts (the rollup's hashtag_author_days, or raw_author_days),
    without raw rows; no bursts.

    Each author's tweets in the range are the sum of their day counts: exact per hashtag, since a tweet is one
    row per hashtag and has one local day. Not per campaign: a tweet with two hashtags of one campaign is in two
    hashtags' counts, and sums cannot tell, so campaigns are counted from raw rows (driver_tables). Copy-paste
    bursts need texts, which the table has none of: copy_burst_share_pct is empty (see with_bursts). `totals`
    (author_totals of the same days) serve a view of every day the table holds without summing the days again.
    """
    key = "hashtag"
    days = keyed_days(days)
    # The hashtags picked, found among the few the table holds rather than row by row.
    names = days["hashtag"].unique().cast(pl.String).to_frame("hashtag")
    picked = pl.col("hashtag").is_in(names.filter(in_hashtags(filters, groups))["hashtag"].implode())
    if totals is not None and _whole_range(days, filters):
        chosen = per_author = totals.filter(in_parties(filters) & picked)
    else:
        chosen = days.filter(in_dates(pl.col("date"), filters) & in_parties(filters) & picked)
        per_author = _summed(chosen)
    authors = _ranked(per_author.filter(pl.col("author_id").is_not_null()))
    anonymous = per_author.filter(pl.col("author_id").is_null()).rename({"__n": "__anonymous"}).drop("author_id")
    drivers = hashtag_drivers(chosen, authors, None, key, anonymous)
    no_bursts = copy_bursts(pl.DataFrame(schema=RAW_COLUMNS))[0]
    return DriverTables(key, drivers, concentration(drivers, authors, key), no_bursts, False)


def with_bursts(
    tables: DriverTables,
    rows: pl.DataFrame,
    groups: pl.DataFrame,
    filters: Filters,
    tz: str,
    min_accounts: int = BURST_MIN_ACCOUNTS,
) -> DriverTables:
    """Per-hashtag tables from author_day_tables with the copy-paste bursts (and their share) of the raw rows in
    the filters, which carry the texts; as they are when those rows have no text. Day counts cannot be cut into
    hours, so with a preset the bursts come from the whole local days its hours touch, as the day counts do."""
    days = replace(filters, hours=None)
    keep = in_dates(pl.col("created_at"), days, tz) & in_parties(filters) & in_hashtags(filters, groups)
    chosen = rows.select(*RAW_COLUMNS.keys()).filter(keep)
    if chosen["text"].null_count() == chosen.height:
        return tables
    bursts, members = copy_bursts(chosen, min_accounts)
    keys = [tables.key, "party"]
    drivers = tables.drivers.join(_burst_counts(chosen, members, keys), on=keys, how="left", maintain_order="left")
    drivers = drivers.with_columns(_burst_share()).select(tables.key, *DRIVERS)
    return DriverTables(tables.key, drivers, tables.concentration, bursts, True)


def with_account_ids(bursts: pl.DataFrame, key: bytes | None) -> pl.DataFrame:
    """Bursts with their account ids '|'-joined: as keyed hashes (HMAC-SHA256 with `key`), or as they are (None)."""
    ids = bursts.select(pl.col("account_ids").explode().drop_nulls().unique())["account_ids"]
    if key is not None:
        mapping = pl.Series(pseudonyms(ids.to_list(), key), dtype=pl.String)
        shown = pl.col("account_ids").list.eval(pl.element().replace_strict(ids, mapping, return_dtype=pl.String))
    else:
        shown = pl.col("account_ids").list.eval(pl.element().cast(pl.String))
    return bursts.with_columns(shown.list.join("|").alias("account_ids"))


def driver_source(dataset: str, rows: int, volume_form: str, pseudonymised: bool) -> str:
    """Where the authors come from, said plainly when the volume comes from somewhere else."""
    ids = "Author ids are pseudonymised (keyed hashes)." if pseudonymised else "Author ids are shown as they are."
    if dataset == "hashtag_author_days":
        return (
            f"From the rollup's tweets per author and day (hashtag_author_days, {rows:,} rows); copy-paste bursts "
            f"from the raw tweets' texts, where there are any. {ids}"
        )
    if dataset == "raw_tweets":
        return (
            f"Volume above comes from the hashtags' {'hourly counts' if volume_form == 'counts' else volume_form}; "
            "authors and texts here from a raw sample "
            f"(raw_tweets, {rows:,} rows), so these shares describe the sample. {ids}"
        )
    return f"From the raw tweets of the hashtags ({rows:,} rows). {ids}"


def top_concentration(tables: DriverTables, count: int = 12) -> pl.DataFrame:
    """The concentration rows of the `count` series with most tweets, in that order (most first)."""
    top = tables.drivers.head(count).select(tables.key, "party").with_row_index("__order")
    return tables.concentration.join(top, on=[tables.key, "party"], how="inner").sort("__order", "top").drop("__order")
