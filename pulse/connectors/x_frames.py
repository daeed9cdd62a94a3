"""X's JSON answers turned into frames of the data contract: Spaces (their hosts mapped to parties through the
analyst's host table), hourly tweet counts and raw tweets. The requests that fetch them are pulse.connectors.x_api."""

import polars as pl

from pulse.data.contract import HASHTAG_COUNTS, HASHTAG_TWEETS, MAX_COUNT, SPACES
from pulse.errors import FetchError, PulseError
from pulse.escape import log_text

SPACE_URL = "https://x.com/i/spaces/"
SPACES_SCHEMA = SPACES.schema
COUNTS_SCHEMA = HASHTAG_COUNTS.schema
TWEETS_SCHEMA = HASHTAG_TWEETS.schema

_RAW_SPACE = {
    "id": pl.String,
    "state": pl.String,
    "title": pl.String,
    "started_at": pl.String,
    "ended_at": pl.String,
    "creator_id": pl.String,
    "host_ids": pl.List(pl.String),
    "participant_count": pl.Int64,
}
_RAW_USER = {"id": pl.String, "username": pl.String}
_RAW_COUNT = {"start": pl.String, "tweet_count": pl.Int64}
_RAW_TWEET = {
    "id": pl.String,
    "text": pl.String,
    "author_id": pl.String,
    "created_at": pl.String,
    "public_metrics": pl.Struct({"retweet_count": pl.Int64, "like_count": pl.Int64}),
    "entities": pl.Struct({"hashtags": pl.List(pl.Struct({"tag": pl.String}))}),
}
_X_TIME = "%Y-%m-%dT%H:%M:%S%.fZ"  # the API writes 2021-07-14T04:35:55.000Z


def spaces_frame(
    data: list[dict], users: list[dict], host_party: pl.DataFrame, where: str = "X API"
) -> tuple[pl.DataFrame, list[str]]:
    """API Space objects (and includes.users) to the spaces contract; Spaces of unmapped hosts are left out."""
    # participant_count is how many are in the Space now, not how many joined in total, so it is
    # never stored as total_listeners (which stays empty); peak and average come from tracking.
    parties = party_lookup(host_party)
    try:
        raw = pl.from_dicts(data, schema=_RAW_SPACE).unique("id", keep="first", maintain_order=True)
        names = pl.from_dicts(users, schema=_RAW_USER).drop_nulls().unique("id", keep="first")
    except (pl.exceptions.PolarsError, TypeError, ValueError) as error:
        raise FetchError(f"{where}: a Space is not in the expected shape ({_first_line(error)})") from None

    def username(user_id: pl.Expr) -> pl.Expr:
        return user_id.replace_strict(names["id"], names["username"], default=None, return_dtype=pl.String)

    def party(host: pl.Expr) -> pl.Expr:
        key = host.str.to_lowercase()
        return key.replace_strict(parties["key"], parties["party"], default=None, return_dtype=pl.String)

    mapped = (
        raw.with_columns(
            pl.coalesce(pl.col("creator_id"), pl.col("host_ids").list.first()).alias("host_id"),
            # The creator's username, else the first host whose username the API included.
            pl.coalesce(
                username(pl.col("creator_id")),
                pl.col("host_ids").list.eval(username(pl.element())).list.drop_nulls().list.first(),
            ).alias("username"),
        )
        .with_columns(
            pl.coalesce("username", "host_id").alias("host"),
            pl.coalesce(party(pl.col("username")), party(pl.col("host_id"))).alias("party"),
        )
        .filter(pl.col("host").is_not_null())
    )
    unmapped = mapped.filter(pl.col("party").is_null()).get_column("host").unique().sort().to_list()
    try:
        frame = mapped.filter(
            pl.col("party").is_not_null()
            # A scheduled Space has not started: the contract needs started_at, so it waits.
            & pl.col("started_at").is_not_null()
        ).select(
            pl.col("id").alias("space_id"),
            "party",
            "host",
            "title",
            pl.col("started_at").str.to_datetime(_X_TIME, time_unit="us", time_zone="UTC"),
            pl.col("ended_at").str.to_datetime(_X_TIME, time_unit="us", time_zone="UTC"),
            pl.lit(None, pl.Int64).alias("total_listeners"),
            pl.lit(None, pl.Int64).alias("peak_listeners"),
            pl.lit(None, pl.Float64).alias("avg_listeners"),
            (pl.lit(SPACE_URL) + pl.col("id")).alias("source_url"),
        )
    except pl.exceptions.PolarsError as error:
        raise FetchError(f"{where}: a Space time is not in the expected format ({_first_line(error)})") from None
    return frame.cast(SPACES_SCHEMA), unmapped


def party_lookup(host_party: pl.DataFrame) -> pl.DataFrame:
    """host_party as (key, party): key is the lower-case username (no '@') or user id."""
    missing = [c for c in ("host", "party") if c not in host_party.columns]
    if missing:
        raise PulseError(f"the host table needs columns host and party (missing: {', '.join(missing)})")
    lookup = (
        host_party.select(
            pl.col("host").cast(pl.String).str.strip_chars().str.strip_chars_start("@").str.to_lowercase().alias("key"),
            pl.col("party").cast(pl.String).str.strip_chars().alias("party"),
        )
        .filter((pl.col("key") != "") & (pl.col("party") != ""))
        .unique()
    )
    clash = lookup.filter(pl.col("key").is_duplicated()).sort("key", "party")
    if clash.height:
        parties = ", ".join(clash.filter(pl.col("key") == clash["key"][0])["party"].to_list())
        raise PulseError(f"host {clash['key'][0]!r} has more than one party in the host table: {parties}")
    return lookup


def counts_page(body: dict, tag: str, party: str, where: str) -> pl.DataFrame:
    """A counts page as hashtags rows in the counts form, all of `tag` and filed under `party`."""
    data = as_list(body.get("data"))
    # Checked on the way in with the range files are checked against: a count of 10^20 fits no column.
    bad = [c.get("tweet_count") for c in data if isinstance(c, dict) and not is_count(c.get("tweet_count"))]
    if bad:
        shown = log_text(repr(bad[0]))[:40]
        raise FetchError(f"X API {where}: tweet_count {shown} is not a count from 0 to {MAX_COUNT:,}")
    try:
        return pl.from_dicts(data, schema=_RAW_COUNT).select(
            pl.lit(tag).alias("hashtag"),
            pl.lit(party).alias("party"),
            pl.col("start").str.to_datetime(_X_TIME, time_unit="us", time_zone="UTC").alias("period_start"),
            pl.col("tweet_count").alias("tweets"),
        )
    except (pl.exceptions.PolarsError, TypeError, ValueError) as error:
        raise FetchError(f"X API {where}: a count is not in the expected shape ({_first_line(error)})") from None


def counts_frame(pages: list[pl.DataFrame]) -> pl.DataFrame:
    """Every counts page in one frame of the counts form, by hashtag and hour."""
    if not pages:
        return pl.DataFrame(schema=COUNTS_SCHEMA)
    return pl.concat(pages).cast(COUNTS_SCHEMA).sort("hashtag", "period_start", maintain_order=True)


def tweets_page(body: dict, party: str, where: str) -> tuple[pl.DataFrame, int]:
    """A recent-search page as raw-form rows (one per tweet and distinct hashtag), and its tweets without one."""
    try:
        raw = pl.from_dicts(as_list(body.get("data")), schema=_RAW_TWEET)
        tagged = raw.with_columns(
            pl.col("entities").struct.field("hashtags").list.eval(pl.element().struct.field("tag")).alias("hashtag")
        ).with_columns(
            # #Vote and #vote in one tweet are one hashtag, as everywhere in the app
            pl.col("hashtag").list.eval(pl.element().filter(pl.element().str.to_lowercase().is_first_distinct()))
        )
        bare = tagged.filter(pl.col("hashtag").list.len().fill_null(0) == 0).height
        rows = tagged.explode("hashtag").filter(pl.col("hashtag").is_not_null())
        return rows.select(
            pl.col("created_at").str.to_datetime(_X_TIME, time_unit="us", time_zone="UTC"),
            pl.lit(party).alias("party"),
            "hashtag",
            pl.col("id").alias("tweet_id"),
            "author_id",
            pl.col("public_metrics").struct.field("retweet_count").alias("retweets"),
            pl.col("public_metrics").struct.field("like_count").alias("likes"),
            "text",
        ), bare
    except (pl.exceptions.PolarsError, TypeError, ValueError) as error:
        raise FetchError(f"X API {where}: a tweet is not in the expected shape ({_first_line(error)})") from None


def tweets_frame(pages: list[pl.DataFrame]) -> pl.DataFrame:
    """Every recent-search page in one frame of the raw form, one row per tweet and hashtag."""
    if not pages:
        return pl.DataFrame(schema=TWEETS_SCHEMA)
    return (
        pl.concat(pages)
        .select(*TWEETS_SCHEMA.keys())
        .cast(TWEETS_SCHEMA)
        .unique(["tweet_id", "hashtag"], keep="first", maintain_order=True)
    )


def is_count(value: object) -> bool:
    """A whole number from 0 to MAX_COUNT, as the data contract takes counts."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def as_list(value: object) -> list:
    """A JSON field that should be a list, as one (anything else is an empty list)."""
    return value if isinstance(value, list) else []


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
