"""Who drives a hashtag: authors, how concentrated their tweets are, and copy-paste bursts (docs/metrics.md).

Pure functions over raw tweets as the contract types them (created_at in UTC, party, hashtag normalised,
optional tweet_id, author_id and text). A tweet that carries several hashtags is one row per hashtag; it is
one tweet wherever tweets are counted together (by tweet_id where present; rows without one are each a tweet).
"""

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass

import polars as pl

from pulse.errors import PulseError
from pulse.export import TEXT_CHARS
from pulse.metrics import Filters, in_dates, in_parties, share_pct, with_campaign
from pulse.schema import DRIVER_COLUMNS, HASHTAG_TWEETS, local_date

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


AUTHOR_SALT_ENV = "PULSE_AUTHOR_SALT"  # or author_salt in secrets.toml: the key of the author-id hash
SHOW_AUTHOR_IDS_ENV = "PULSE_SHOW_AUTHOR_IDS"  # or show_author_ids: "true" shows raw ids (entitled teams only)
_ONE_OFF_KEY = secrets.token_bytes(32)  # without a salt: pseudonyms hold for this process only


def author_key(salt: str | None, show_raw: str | None) -> bytes | None:
    """The key author ids are hashed with (a one-off key without `salt`); None when raw ids are to be shown."""
    if (show_raw or "").strip().lower() in ("1", "true", "yes"):
        return None
    return salt.encode() if salt else _ONE_OFF_KEY


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


def _identified(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows with a tweet identity: __tid (tweet_id) and, for rows without one, __row (the row itself)."""
    return rows.with_row_index("__index").select(
        pl.exclude("__index"),
        pl.col("tweet_id").alias("__tid"),
        pl.when(pl.col("tweet_id").is_null()).then(pl.col("__index")).alias("__row"),
    )


def copy_bursts(rows: pl.DataFrame, min_accounts: int = BURST_MIN_ACCOUNTS) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The copy-paste bursts of raw tweets with text, and which tweets (__tid, __row) fall in one.

    A text's tweets, in time order, form one episode while consecutive tweets are at most BURST_GAP_S apart;
    an episode with at least `min_accounts` distinct authors is a burst. Texts empty once normalised never are.
    """
    tweets = (
        _identified(rows)
        .filter(pl.col("text").is_not_null())
        .group_by("__tid", "__row")
        .agg(
            pl.col("created_at").min(),
            pl.col("author_id").min(),
            pl.col("text").min(),
            pl.col("party").unique(),
            pl.col("hashtag").unique(),
        )
        .with_columns(normalise_text(pl.col("text")).alias("__norm"))
        .filter(pl.col("__norm") != "")
        .sort("__norm", "created_at", "__tid", "__row", nulls_last=True)
    )
    gap = pl.col("created_at").diff().dt.total_microseconds().over("__norm")
    starts = gap.is_null() | (gap > BURST_GAP_S * 1_000_000)
    episodes = tweets.with_columns(starts.cum_sum().alias("__episode"))
    bursts = (
        episodes.group_by("__episode")
        .agg(
            pl.col("text").first(),  # sorted by time: the first original text
            pl.col("hashtag")
            .list.explode(keep_nulls=False, empty_as_null=False)
            .unique()
            .sort()
            .str.join("|")
            .alias("hashtags"),
            pl.col("author_id").drop_nulls().n_unique().cast(pl.Int64).alias("accounts"),
            pl.len().cast(pl.Int64).alias("tweets"),
            pl.col("created_at").min().alias("first_at"),
            pl.col("created_at").max().alias("last_at"),
            pl.col("author_id").drop_nulls().unique(maintain_order=True).head(ACCOUNT_IDS_SHOWN).alias("account_ids"),
        )
        .filter(pl.col("accounts") >= min_accounts)
    )
    # The most frequent party among the burst's tweets (a tweet counts once per party); a tie goes to the first
    # party in alphabetical order.
    party = (
        episodes.join(bursts.select("__episode"), on="__episode", how="semi")
        .select("__episode", pl.col("party").alias("__party"))
        .explode("__party")
        .group_by("__episode", "__party")
        .agg(pl.len().alias("__n"))
        .sort("__episode", "__n", "__party", descending=[False, True, False])
        .group_by("__episode", maintain_order=True)
        .agg(pl.col("__party").first().alias("party"))
    )
    bursts = (
        bursts.join(party, on="__episode")
        .sort("first_at", "text")
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias("burst_id"), cut_text(pl.col("text")))
        .select(*BURSTS, "__episode")
    )
    members = episodes.join(bursts.select("__episode"), on="__episode", how="semi").select("__tid", "__row")
    ranked = bursts.drop("__episode").sort("accounts", "tweets", "first_at", descending=[True, True, False])
    return ranked, members


def _tweets(rows: pl.DataFrame, key: str, members: pl.DataFrame) -> pl.DataFrame:
    """One row per distinct tweet of each (key, party): its author, whether it has a text and is in a burst."""
    return (
        _identified(rows)
        .join(members.with_columns(pl.lit(True).alias("__burst")), on=["__tid", "__row"], how="left", nulls_equal=True)
        .group_by(key, "party", "__tid", "__row")
        .agg(
            pl.col("author_id").min(),
            pl.col("text").is_not_null().any().alias("__text"),
            pl.col("__burst").fill_null(False).any(),
        )
    )


def _authors(tweets: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per (key, party, author): the author's tweets and their rank by it (1 = most active)."""
    return (
        tweets.filter(pl.col("author_id").is_not_null())
        .group_by(key, "party", "author_id")
        .agg(pl.len().alias("__n"))
        .with_columns(pl.col("__n").rank("ordinal", descending=True).over(key, "party").alias("__rank"))
    )


def hashtag_drivers(tweets: pl.DataFrame, key: str) -> pl.DataFrame:
    """The drivers table of docs/metrics.md from _tweets' rows, most tweets first."""
    totals = tweets.group_by(key, "party").agg(
        pl.len().cast(pl.Int64).alias("tweets"),
        pl.col("__burst").sum().alias("__in_bursts"),
        pl.col("__text").any().alias("__has_text"),
    )
    counts = pl.col("__n")
    per_author = (
        _authors(tweets, key)
        .group_by(key, "party")
        .agg(
            pl.len().cast(pl.Int64).alias("authors"),
            counts.filter(pl.col("__rank") <= (pl.len() + 99) // 100).sum().alias("__top1pct"),
            counts.filter(pl.col("__rank") <= 10).sum().alias("__top10"),
            (counts == 1).sum().alias("__single"),
        )
    )
    tweets_n = pl.col("tweets")
    return (
        totals.join(per_author, on=[key, "party"], how="left")
        .with_columns(pl.col("authors").fill_null(0))
        .with_columns(
            pl.when(pl.col("authors") > 0).then(tweets_n / pl.col("authors")).alias("tweets_per_author"),
            share_pct(pl.col("__top1pct"), tweets_n).alias("top1pct_share_pct"),
            share_pct(pl.col("__top10"), tweets_n).alias("top10_share_pct"),
            share_pct(pl.col("__single"), pl.col("authors")).alias("single_tweet_authors_pct"),
            pl.when(pl.col("__has_text"))
            .then(share_pct(pl.col("__in_bursts"), tweets_n))
            .alias("copy_burst_share_pct"),
        )
        .select(key, *DRIVERS)
        .sort("tweets", key, "party", descending=[True, False, False])
    )


def concentration(tweets: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per (key, party): the share of its tweets by the top 1 %, 10 % and 50 % of its authors (ceil of each)."""
    totals = tweets.group_by(key, "party").agg(pl.len().alias("__tweets"))
    shares = (
        _authors(tweets, key)
        .group_by(key, "party")
        .agg(
            *[
                pl.col("__n").filter(pl.col("__rank") <= (pl.len() * top + 99) // 100).sum().alias(str(top))
                for top in SHARE_TOPS
            ]
        )
        .join(totals, on=[key, "party"])
        .unpivot(index=[key, "party", "__tweets"], variable_name="top", value_name="__top_tweets")
    )
    return shares.select(
        key,
        "party",
        pl.col("top").cast(pl.Int64),
        share_pct(pl.col("__top_tweets"), pl.col("__tweets")).alias("share_pct"),
    ).sort(key, "party", "top")


def driver_tables(
    rows: pl.DataFrame,
    groups: pl.DataFrame,
    filters: Filters,
    tz: str,
    key: str = "hashtag",
    min_accounts: int = BURST_MIN_ACCOUNTS,
) -> DriverTables:
    """Drivers, concentration and bursts of raw tweets in the filters' dates, parties and hashtags."""
    keep = in_dates(local_date(pl.col("created_at"), tz), filters) & in_parties(filters)
    if filters.hashtags is not None:
        keep &= pl.col("hashtag").is_in(list(filters.hashtags))
    chosen = rows.select(*RAW_COLUMNS.keys()).filter(keep)
    if key == "campaign":
        chosen = with_campaign(chosen, groups)
    has_text = chosen["text"].null_count() < chosen.height
    bursts, members = copy_bursts(chosen.select(*RAW_COLUMNS.keys()), min_accounts)
    tweets = _tweets(chosen, key, members)
    return DriverTables(key, hashtag_drivers(tweets, key), concentration(tweets, key), bursts, has_text)


def with_account_ids(bursts: pl.DataFrame, key: bytes | None) -> pl.DataFrame:
    """Bursts with their account ids '|'-joined: as keyed hashes (HMAC-SHA256 with `key`), or as they are (None)."""
    ids = bursts.select(pl.col("account_ids").explode().drop_nulls().unique())["account_ids"]
    if key is not None:
        hashed = ["a-" + hmac.new(key, i.encode(), hashlib.sha256).hexdigest()[:12] for i in ids.to_list()]
        mapping = pl.Series(hashed, dtype=pl.String)
        shown = pl.col("account_ids").list.eval(pl.element().replace_strict(ids, mapping, return_dtype=pl.String))
    else:
        shown = pl.col("account_ids")
    return bursts.with_columns(shown.list.join("|").alias("account_ids"))


def driver_source(dataset: str, rows: int, volume_form: str, pseudonymised: bool) -> str:
    """Where the authors come from, said plainly when the volume comes from somewhere else."""
    ids = "Author ids are pseudonymised (keyed hashes)." if pseudonymised else "Author ids are shown as they are."
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


def exports(tables: DriverTables, key: bytes | None) -> dict[str, pl.DataFrame]:
    """The driver CSVs by file name: hashtag_drivers, and copy_bursts when there are texts (ids keyed-hashed)."""
    frames = {"hashtag_drivers": tables.drivers}
    if tables.has_text:
        frames["copy_bursts"] = with_account_ids(tables.bursts, key)
    return frames
