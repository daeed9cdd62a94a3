"""When the watcher raises an alert: a hashtag spike, a live Space passing a record, a rally announced or moved, a
claim whose verdict over all the data is no longer its verdict as of the claim, a watched YouTube channel going live,
and a live stream passing its party's best peak.

Detection is pure (frames in, alert rows out, in the alerts contract: see pulse.watch.alerts). Every alert has a
stable `alert_id` built from its kind, subject and time, so checking again, or a restarted watcher, finds the
stored alert instead of a new one.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta

import polars as pl

from pulse.data.contract import normalise_hashtag
from pulse.watch.alerts import CLAIM, RALLY, SCHEMA, SPACE_RECORD, SPIKE, STREAM_LIVE, STREAM_RECORD

SPIKE_HOURS = 12  # a spike is measured against this many hours before it
_ID_TIME = "%Y-%m-%dT%H:%MZ"


def _rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Alert rows as newly raised: not delivered, never tried."""
    return frame.with_columns(
        pl.lit(False).alias("delivered"),
        pl.lit(None, pl.String).alias("error"),
        pl.lit(None, pl.String).alias("delivered_to"),
        pl.lit(0, pl.Int64).alias("attempts"),
        pl.lit(None, pl.Datetime("us", "UTC")).alias("retry_at"),
    ).select(pl.col(name).cast(dtype) for name, dtype in SCHEMA.items())


def _local(at: pl.Expr, tz: str, fmt: str) -> pl.Expr:
    return at.dt.convert_time_zone(tz).dt.strftime(fmt)


def _count(expr: pl.Expr) -> pl.Expr:
    """A whole number with thousands separators, as text."""
    return expr.round(0).cast(pl.Int64).map_elements(lambda n: f"{n:,}", return_dtype=pl.String)


def spike_alerts(
    counts: pl.DataFrame,
    hashtags: Sequence[tuple[str, str]],
    hour: datetime,
    sigma: float,
    min_tweets: int,
    raised_at: datetime,
    tz: str,
) -> pl.DataFrame:
    """A spike alert for each (hashtag, party) whose tweets in `hour` are at least `min_tweets` and above
    the mean + `sigma` × the population standard deviation of the SPIKE_HOURS hours before (missing hours are 0)."""
    if not hashtags:
        return pl.DataFrame(schema=SCHEMA)
    watched = pl.DataFrame(list(hashtags), schema={"tag": pl.String, "party": pl.String}, orient="row")
    watched = watched.with_columns(normalise_hashtag(pl.col("tag")).alias("hashtag"))
    start = hour - timedelta(hours=SPIKE_HOURS)
    hours = pl.DataFrame({"period_start": pl.datetime_range(start, hour, "1h", eager=True, time_zone="UTC")}).cast(
        {"period_start": pl.Datetime("us", "UTC")}
    )
    tweets = (
        counts.filter(pl.col("period_start").is_between(start, hour))
        .group_by(normalise_hashtag(pl.col("hashtag")).alias("hashtag"), "party", "period_start")
        .agg(pl.col("tweets").sum())
    )
    before = pl.col("period_start") < hour
    stats = (
        watched.join(hours, how="cross")
        .join(tweets, on=["hashtag", "party", "period_start"], how="left")
        .with_columns(pl.col("tweets").fill_null(0).cast(pl.Float64))
        .group_by("tag", "hashtag", "party")
        .agg(
            pl.col("tweets").filter(~before).first().alias("value"),
            pl.col("tweets").filter(before).mean().alias("baseline"),
            pl.col("tweets").filter(before).std(ddof=0).alias("std"),
        )
        .with_columns((pl.col("baseline") + sigma * pl.col("std")).alias("threshold"))
        .filter((pl.col("value") >= min_tweets) & (pl.col("value") > pl.col("threshold")))
        .sort("hashtag", "party")
    )
    at = pl.lit(hour).cast(pl.Datetime("us", "UTC"))
    when = _local(at, tz, "%-d %b %Y %H:00 %Z")
    return _rows(
        stats.select(
            pl.concat_str(pl.lit(SPIKE), "hashtag", "party", at.dt.strftime(_ID_TIME), separator="/").alias("alert_id"),
            pl.lit(raised_at).cast(pl.Datetime("us", "UTC")).alias("raised_at"),
            pl.lit(SPIKE).alias("kind"),
            "party",
            pl.format("#{} {}", "tag", when).alias("subject"),
            "value",
            "baseline",
            pl.format(
                "#{} spiked: {} tweets in the hour from {} ({}), against {} an hour in the {} hours before "
                "(threshold {})",
                "tag",
                _count(pl.col("value")),
                when,
                "party",
                _count(pl.col("baseline")),
                pl.lit(SPIKE_HOURS),
                _count(pl.col("threshold")),
            ).alias("message"),
        )
    )


def space_record_alerts(live: pl.DataFrame, spaces: pl.DataFrame, raised_at: datetime) -> pl.DataFrame:
    """Alerts for live Spaces (space_id, participants) whose count passes the best peak or total listeners of
    their party's earlier Spaces (a party record), and of every party's (an all-time record): one alert each.

    `spaces` is every stored Space (with tracked peaks filled in); a party with no earlier Space has no record.
    """
    best = pl.max_horizontal(pl.col("peak_listeners").cast(pl.Float64), pl.col("total_listeners").cast(pl.Float64))
    earlier = spaces.select(
        pl.col("space_id").alias("other_id"),
        pl.col("party").alias("other_party"),
        pl.col("started_at").alias("other_start"),
        best.alias("best"),
    ).drop_nulls("best")
    current = live.join(spaces.select("space_id", "party", "host", "title", "started_at"), on="space_id")
    candidates = current.join(earlier, how="cross").filter(
        (pl.col("other_id") != pl.col("space_id")) & (pl.col("other_start") < pl.col("started_at"))
    )
    party_best = (
        candidates.filter(pl.col("other_party") == pl.col("party"))
        .group_by("space_id")
        .agg(pl.col("best").max().alias("baseline"))
        .with_columns(pl.lit("party").alias("scope"))
    )
    all_best = candidates.group_by("space_id").agg(pl.col("best").max().alias("baseline"))
    all_best = all_best.with_columns(pl.lit("all").alias("scope"))
    records = (
        current.join(pl.concat([party_best, all_best]), on="space_id")
        .filter(pl.col("participants") > pl.col("baseline"))
        .sort("space_id", "scope", descending=[False, True])
    )
    name = pl.coalesce(pl.format('"{}"', "title"), pl.lit("a Space"))
    party_record = pl.format("{}'s record", "party")
    what = pl.when(pl.col("scope") == "party").then(party_record).otherwise(pl.lit("the all-time record"))
    return _rows(
        records.select(
            pl.concat_str(
                pl.lit(SPACE_RECORD), "scope", "space_id", pl.col("started_at").dt.strftime(_ID_TIME), separator="/"
            ).alias("alert_id"),
            pl.lit(raised_at).cast(pl.Datetime("us", "UTC")).alias("raised_at"),
            pl.lit(SPACE_RECORD).alias("kind"),
            "party",
            pl.col("space_id").alias("subject"),
            pl.col("participants").cast(pl.Float64).alias("value"),
            "baseline",
            pl.format(
                "{}'s Space {} by {} has {} listeners now, above {} of {}",
                "party",
                name,
                "host",
                _count(pl.col("participants")),
                what,
                _count(pl.col("baseline")),
            ).alias("message"),
        )
    )


def rally_alert_id() -> pl.Expr:
    """The alert key of each rally announcement: a new announcement, a new date or a new city is a new key."""
    return pl.concat_str(
        pl.lit(RALLY),
        "rally_id",
        pl.col("announced_at").dt.strftime(_ID_TIME),
        "city",
        pl.col("starts_at").dt.strftime(_ID_TIME),
        separator="/",
    ).alias("alert_id")


def rally_alerts(rallies: pl.DataFrame, seen: set[str], raised_at: datetime, tz: str) -> pl.DataFrame:
    """An alert for each rally announcement whose key (see rally_alert_ids) is not in `seen`."""
    when = "%-d %b %Y %H:%M %Z"
    news = (
        rallies.sort("rally_id", "announced_at")
        .with_columns(
            rally_alert_id(),
            pl.col("city").shift(1).over("rally_id").alias("previous_city"),
            pl.col("starts_at").shift(1).over("rally_id").alias("previous_starts_at"),
        )
        .filter(~pl.col("alert_id").is_in(sorted(seen)))
    )
    was = pl.format("{}, {}", "previous_city", _local(pl.col("previous_starts_at"), tz, when))
    return _rows(
        news.select(
            "alert_id",
            pl.lit(raised_at).cast(pl.Datetime("us", "UTC")).alias("raised_at"),
            pl.lit(RALLY).alias("kind"),
            "party",
            pl.col("rally_id").alias("subject"),
            pl.col("reported_attendance").cast(pl.Float64).alias("value"),
            pl.lit(None, pl.Float64).alias("baseline"),
            pl.format(
                "{} rally {}: {}, {}{}",
                "party",
                "rally_id",
                "city",
                _local(pl.col("starts_at"), tz, when),
                pl.when(pl.col("previous_city").is_null())
                .then(pl.lit(" (announced)"))
                .otherwise(pl.format(" (moved from {})", was)),
            ).alias("message"),
        )
    )


def claim_alerts(verdicts: pl.DataFrame, raised_at: datetime) -> pl.DataFrame:
    """An alert for each claim (pulse.metrics.claims.claim_verdicts) whose verdict over all the data differs from its
    verdict as of the claim, e.g. a hashtag that has since passed the 7 million a party claimed. Keyed by claim and
    verdict: raised once, and again only when the verdict over all the data changes to another one."""
    changed = verdicts.filter(
        (pl.col("verdict_all_data") != pl.col("verdict")) & (pl.col("verdict_all_data") != "unverifiable")
    )
    return _rows(
        changed.select(
            pl.concat_str(pl.lit(CLAIM), "claim_id", "verdict_all_data", separator="/").alias("alert_id"),
            pl.lit(raised_at).cast(pl.Datetime("us", "UTC")).alias("raised_at"),
            pl.lit(CLAIM).alias("kind"),
            "party",
            pl.col("claim_id").alias("subject"),
            pl.col("measured_all_data").alias("value"),
            pl.col("claimed_value").alias("baseline"),
            pl.format(
                "Claim {} by {} ({} of {}) is {} over all the data: {} measured, {} as of the claim",
                "claim_id",
                "claimant",
                pl.when(pl.col("comparison") == "largest")
                .then(pl.lit("the largest"))
                .otherwise(pl.format("{} {}", "comparison", _count(pl.col("claimed_value")))),
                "subject",
                "verdict_all_data",
                _count(pl.col("measured_all_data")),
                "verdict",
            ).alias("message"),
        )
    )


def stream_live_alerts(live: pl.DataFrame, raised_at: datetime) -> pl.DataFrame:
    """An alert for each stream (rows of the streams contract) a watched channel has gone live with, with its link;
    keyed by the stream, so it is raised once however often the stream is seen live."""
    channel = pl.coalesce(pl.format('"{}"', "channel_title"), "channel_id", pl.lit("a watched channel"))
    return _rows(
        live.select(
            pl.concat_str(pl.lit(STREAM_LIVE), "stream_id", separator="/").alias("alert_id"),
            pl.lit(raised_at).cast(pl.Datetime("us", "UTC")).alias("raised_at"),
            pl.lit(STREAM_LIVE).alias("kind"),
            "party",
            pl.col("stream_id").alias("subject"),
            pl.lit(None, pl.Float64).alias("value"),
            pl.lit(None, pl.Float64).alias("baseline"),
            pl.format(
                "{}'s YouTube channel {} is live: {} {}",
                "party",
                channel,
                pl.coalesce(pl.format('"{}"', "title"), pl.lit("a live stream")),
                "source_url",
            ).alias("message"),
        ).sort("alert_id")
    )


def stream_record_alerts(live: pl.DataFrame, streams: pl.DataFrame, raised_at: datetime) -> pl.DataFrame:
    """An alert for each live stream (stream_id, viewers) whose count passes the best peak of its party's earlier
    streams (started before it); a party's first stream has no record to pass. Keyed by the stream: raised once.

    `streams` is every stored stream with its peak_viewers (from its samples)."""
    earlier = streams.select(
        pl.col("stream_id").alias("other_id"),
        "party",
        pl.col("started_at").alias("other_start"),
        pl.col("peak_viewers").cast(pl.Float64).alias("best"),
    ).drop_nulls(["best", "other_start"])
    current = live.join(streams.select("stream_id", "party", "title", "started_at"), on="stream_id")
    baseline = (
        current.join(earlier, on="party")
        .filter((pl.col("other_id") != pl.col("stream_id")) & (pl.col("other_start") < pl.col("started_at")))
        .group_by("stream_id")
        .agg(pl.col("best").max().alias("baseline"))
    )
    records = current.join(baseline, on="stream_id").filter(pl.col("viewers") > pl.col("baseline")).sort("stream_id")
    name = pl.coalesce(pl.format('"{}"', "title"), pl.lit("a stream"))
    return _rows(
        records.select(
            pl.concat_str(
                pl.lit(STREAM_RECORD), "stream_id", pl.col("started_at").dt.strftime(_ID_TIME), separator="/"
            ).alias("alert_id"),
            pl.lit(raised_at).cast(pl.Datetime("us", "UTC")).alias("raised_at"),
            pl.lit(STREAM_RECORD).alias("kind"),
            "party",
            pl.col("stream_id").alias("subject"),
            pl.col("viewers").cast(pl.Float64).alias("value"),
            "baseline",
            pl.format(
                "{}'s YouTube stream {} has {} watching now, above the party's best peak of {}",
                "party",
                name,
                _count(pl.col("viewers")),
                _count(pl.col("baseline")),
            ).alias("message"),
        )
    )
