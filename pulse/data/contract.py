"""The data contract: which datasets there are (REGISTRY, the one place a dataset is declared), which columns each
has, how hashtags are spelt and compared, and the time helpers every layer shares.

The validation that enforces a contract on a file is pulse.data.validation.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import polars as pl

from pulse.errors import Problem, ValidationError

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

# Live video streams (issue 22): YouTube live streams measured like Spaces, written by `pulse fetch-youtube`,
# `track-stream` and `pulse watch`, or uploaded. peak and avg come from stream_samples (avg time-weighted as a tracked
# Space's); a stream whose count was hidden throughout keeps them empty. An upcoming stream has no started_at yet.
# rally_id links a stream to a rally; when empty, pulse.metrics links it by party and time (docs/metrics.md).
STREAM_PLATFORMS = ("youtube",)
STREAMS = Contract(
    "streams",
    (
        Column("stream_id", "str"),
        Column("platform", "str"),
        Column("party", "str"),
        Column("channel_id", "str", nullable=True),
        Column("channel_title", "str", required=False, nullable=True),
        Column("title", "str", required=False, nullable=True),
        Column("scheduled_at", "datetime", required=False, nullable=True),
        Column("started_at", "datetime", nullable=True),
        Column("ended_at", "datetime", required=False, nullable=True),
        Column("peak_viewers", "int", required=False, nullable=True, nonnegative=True),
        Column("avg_viewers", "float", required=False, nullable=True, nonnegative=True),
        Column("rally_id", "str", required=False, nullable=True),
        Column("source_url", "str", required=False, nullable=True),
    ),
    key=("stream_id",),
    rules=(
        Rule(
            "platform",
            ("platform",),
            lambda: ~pl.col("platform").is_in(STREAM_PLATFORMS),
            f"platform must be one of {', '.join(STREAM_PLATFORMS)}",
        ),
        Rule(
            "ended_at",
            ("started_at", "ended_at"),
            lambda: pl.col("ended_at") < pl.col("started_at"),
            "ended_at is before started_at",
        ),
        Rule(
            "avg_viewers",
            ("avg_viewers", "peak_viewers"),
            _above("avg_viewers", "peak_viewers"),
            "avg_viewers is above peak_viewers",
        ),
    ),
)

# A live stream's concurrent viewers, as sampled while it was live (absent when the owner hides the count).
STREAM_SAMPLES = Contract(
    "stream_samples",
    (
        Column("stream_id", "str"),
        Column("at", "datetime"),
        Column("viewers", "int", nonnegative=True),
    ),
    key=("stream_id", "at"),
)

# Written by `pulse watch` only (never edited on the Data page). alert_id is a stable key of kind, subject and
# time, so a check that runs again, or a restarted watcher, never raises one alert twice. delivered_to holds the
# webhooks (by fingerprint, never the URL: it is a secret) that took it, so none is sent one twice, and as
# fingerprint:status those that refused it (a 4xx other than 429), which are not asked again.
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


# The claims ledger (pulse.metrics.claims): every public number a party or the press states, with what it is about
# and how it compares, so that it can be set beside what the data measures. The metrics each subject type may name:
CLAIM_METRICS = {
    "space": ("total_listeners", "peak_listeners", "avg_listeners", "record_multiple"),
    "hashtag": ("tweets", "unique_authors", "peak_hour_tweets"),
    "campaign": ("tweets", "unique_authors", "peak_hour_tweets"),
    "party": ("tweets", "spaces", "spaces_reach"),
    "rally": ("reported_attendance",),
}
CLAIM_COMPARISONS = ("equals", "about", "at_least", "more_than", "at_most", "less_than", "largest")
CLAIM_TEXT_CHARS = 500
_HTTP_URL = r"(?i)^https?://[^\s]+$"


def _claim_metric_unknown() -> pl.Expr:
    allowed = pl.lit(False)
    for subject_type, metrics in CLAIM_METRICS.items():
        allowed |= (pl.col("subject_type") == subject_type) & pl.col("metric").is_in(metrics)
    return pl.col("subject_type").is_in(list(CLAIM_METRICS)) & ~allowed


CLAIMS = Contract(
    "claims",
    (
        Column("claim_id", "str"),
        Column("claimed_at", "datetime"),
        Column("claimant", "str"),
        Column("claim_text", "str"),
        Column("source_url", "str", required=False, nullable=True),
        Column("subject_type", "str"),
        Column("subject", "str"),
        Column("metric", "str"),
        Column("comparison", "str"),
        Column("claimed_value", "float", nullable=True, nonnegative=True),
        Column("window_start", "date", required=False, nullable=True),
        Column("window_end", "date", required=False, nullable=True),
    ),
    key=("claim_id",),
    rules=(
        Rule(
            "subject_type",
            ("subject_type",),
            lambda: ~pl.col("subject_type").is_in(list(CLAIM_METRICS)),
            "subject_type must be one of " + ", ".join(CLAIM_METRICS),
        ),
        Rule(
            "metric",
            ("subject_type", "metric"),
            _claim_metric_unknown,
            "not a metric of this subject_type: "
            + "; ".join(f"{kind}: {', '.join(metrics)}" for kind, metrics in CLAIM_METRICS.items()),
        ),
        Rule(
            "comparison",
            ("comparison",),
            lambda: ~pl.col("comparison").is_in(CLAIM_COMPARISONS),
            "comparison must be one of " + ", ".join(CLAIM_COMPARISONS),
        ),
        Rule(
            "claimed_value",
            ("comparison", "claimed_value"),
            lambda: pl.col("claimed_value").is_null() & (pl.col("comparison") != "largest"),
            "a claimed_value is required for this comparison (only largest has none)",
        ),
        Rule(
            "claimed_value",
            ("comparison", "claimed_value"),
            lambda: pl.col("claimed_value").is_not_null() & (pl.col("comparison") == "largest"),
            "largest takes no claimed_value: leave it empty",
        ),
        Rule(
            "claim_text",
            ("claim_text",),
            lambda: pl.col("claim_text").str.len_chars() > CLAIM_TEXT_CHARS,
            f"claim_text is longer than {CLAIM_TEXT_CHARS} characters",
        ),
        Rule(
            "source_url",
            ("source_url",),
            lambda: (pl.col("source_url") != "") & ~pl.col("source_url").str.contains(_HTTP_URL),
            "source_url must be an http:// or https:// address",
        ),
        Rule(
            "window_end",
            ("window_start", "window_end"),
            lambda: pl.col("window_end") < pl.col("window_start"),
            "window_end is before window_start",
        ),
    ),
)


# Every change to the store, appended under its lock by the store itself (pulse.data.store, pulse.data.audit); no page
# or command edits or deletes a row, and the history's retention never touches it. actor is an email, cli:<os user>
# or watch; source a file name, a URL's host or x-api; the versions are the content fingerprints of the dataset's
# file before and after, so an undo's version_after is the version_before of the save it undid.
AUDIT = Contract(
    "audit",
    (
        Column("at", "datetime"),
        Column("actor", "str"),
        Column("role", "str", nullable=True),
        Column("action", "str"),
        Column("dataset", "str"),
        Column("rows_added", "int", nonnegative=True),
        Column("rows_updated", "int", nonnegative=True),
        Column("rows_removed", "int", nonnegative=True),
        Column("source", "str", nullable=True),
        Column("content_sha256", "str", nullable=True),
        Column("version_before", "str", nullable=True),
        Column("version_after", "str", nullable=True),
    ),
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


@dataclass(frozen=True)
class DatasetEntry:
    """A dataset the app stores and loads, declared once: REGISTRY holds one per dataset, and the lists of
    datasets (DATASETS, EDITABLE) and contract_for are read from it. Any dataset may be missing from a data
    directory (pulse.data.load then gives an empty table, or none)."""

    name: str
    # The contract its files meet; for hashtags, which come in two forms, what picks the form from a file's header.
    contract: Contract | Callable[[list[str], str], Contract]
    editable: bool = False  # replaced and merged on the Data page (pulse.data.ingest)


# In the order the store and the pages list datasets (the Data page lists EDITABLE in this order).
REGISTRY = (
    DatasetEntry("spaces", SPACES, editable=True),
    DatasetEntry("hashtags", hashtag_contract, editable=True),
    DatasetEntry("rallies", RALLIES, editable=True),
    DatasetEntry("parties", PARTIES, editable=True),
    DatasetEntry("hashtag_groups", HASHTAG_GROUPS, editable=True),
    DatasetEntry("space_samples", SPACE_SAMPLES),
    DatasetEntry("streams", STREAMS, editable=True),
    DatasetEntry("stream_samples", STREAM_SAMPLES),
    DatasetEntry("alerts", ALERTS),
    # raw_tweets: an optional raw sample beside counts-form hashtags, in the raw form (HASHTAG_TWEETS), for authors
    # and texts only (pulse.metrics.drivers); the volume always comes from hashtags.
    DatasetEntry("raw_tweets", HASHTAG_TWEETS, editable=True),
    DatasetEntry("claims", CLAIMS, editable=True),  # the claims ledger: checked against the data (metrics.claims)
    DatasetEntry("hashtag_authors", HASHTAG_AUTHORS),
    DatasetEntry("hashtag_author_days", HASHTAG_AUTHOR_DAYS),
    DatasetEntry("audit", AUDIT),  # append-only: written by the store alone (pulse.data.audit)
)
_BY_NAME = {r.name: r for r in REGISTRY}
DATASETS = tuple(r.name for r in REGISTRY)
EDITABLE = tuple(r.name for r in REGISTRY if r.editable)


def contract_for(dataset: str, columns: list[str], file: str) -> Contract:
    """The contract a file of `dataset` must meet, given its header."""
    contract = _BY_NAME[dataset].contract
    return contract if isinstance(contract, Contract) else contract(columns, file)
