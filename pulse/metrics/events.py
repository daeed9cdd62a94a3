"""Events that may move the numbers (Space starts, rally announcements, rally starts), each event's lift, and the
Compare page's event windows and labels. See docs/metrics.md.
"""

from datetime import timedelta

import polars as pl

from pulse.metrics.rallies import current_rallies

EVENTS = ("event_type", "event_id", "party", "at", "baseline", "after_24h", "lift")


def events(spaces: pl.DataFrame, rallies: pl.DataFrame) -> pl.DataFrame:
    """Every event that may move the numbers: Space starts, rally announcements and rally starts."""
    frames = [
        spaces.select(
            pl.lit("space").alias("event_type"),
            pl.col("space_id").alias("event_id"),
            "party",
            pl.col("started_at").alias("at"),
        ),
        rallies.select(
            pl.lit("rally_announcement").alias("event_type"),
            pl.col("rally_id").alias("event_id"),
            "party",
            pl.col("announced_at").alias("at"),
        ),
        current_rallies(rallies).select(
            pl.lit("rally").alias("event_type"),
            pl.col("rally_id").alias("event_id"),
            "party",
            pl.col("starts_at").alias("at"),
        ),
    ]
    return pl.concat(frames).sort("at", "event_type", "event_id")


def event_lift(events_frame: pl.DataFrame, counts: pl.DataFrame) -> pl.DataFrame:
    """Each event's party tweets in the 7 days before (per day) against the 24 hours after.

    Window sums come from a per-party running total read at the window edges, so the cost grows with
    events plus hours, not their product.
    """
    running = (
        counts.group_by("party", "period_start")
        .agg(pl.col("tweets").sum())
        .sort("party", "period_start")
        .select("party", "period_start", pl.col("tweets").cum_sum().over("party").alias("running"))
        .sort("period_start")
    )

    def tweets_before(edge: pl.Expr, name: str) -> pl.LazyFrame:
        # Tweets whose period starts strictly before the edge: the running total at the last such period.
        probes = events_frame.lazy().with_row_index("__event").with_columns(edge.alias("__edge")).sort("__edge")
        return probes.join_asof(
            running.lazy(),
            left_on="__edge",
            right_on="period_start",
            by="party",
            allow_exact_matches=False,
            check_sortedness=False,  # sorted just above; polars cannot verify it within by-groups
        ).select("__event", pl.col("running").fill_null(0).alias(name))

    at = pl.col("at")
    edges = [
        tweets_before(at - timedelta(days=7), "before_week"),
        tweets_before(at, "before_event"),
        tweets_before(at + timedelta(hours=24), "before_day_after"),
    ]
    lifted = events_frame.lazy().with_row_index("__event")
    for edge in edges:
        lifted = lifted.join(edge, on="__event", how="left")
    return (
        lifted.with_columns(
            ((pl.col("before_event") - pl.col("before_week")) / 7).alias("baseline"),
            (pl.col("before_day_after") - pl.col("before_event")).alias("after_24h"),
        )
        .with_columns(pl.when(pl.col("baseline") > 0).then(pl.col("after_24h") / pl.col("baseline")).alias("lift"))
        .select(EVENTS)
        .sort("at", "event_type", "event_id")
        .collect()
    )


# ---- Pages: Compare -----------------------------------------------------------------------------------------------


def event_key() -> pl.Expr:
    """A unique, URL-safe name for an event row (a rally has one row per announcement)."""
    return pl.format("{}:{}:{}", pl.col("event_type"), pl.col("event_id"), pl.col("at").dt.strftime("%Y%m%dT%H%M"))


EVENT_KINDS = {"space": "Space", "rally": "rally", "rally_announcement": "rally announced"}  # in labels


def describe_events(events_frame: pl.DataFrame, spaces: pl.DataFrame, rallies: pl.DataFrame, tz: str) -> pl.DataFrame:
    """Events with a key and a readable label: '21 Apr 20:00 · PTI rally · Lahore'."""
    spaces_named = spaces.select(pl.col("space_id").alias("event_id"), pl.col("host").alias("what"))
    rallies_named = current_rallies(rallies).select(pl.col("rally_id").alias("event_id"), pl.col("city").alias("what"))
    kind = pl.col("event_type").replace_strict(EVENT_KINDS, default=pl.col("event_type"))
    named = pl.concat([spaces_named, rallies_named]).unique("event_id", keep="first", maintain_order=True)
    return (
        events_frame.join(named, on="event_id", how="left")
        .with_columns(
            event_key().alias("event"),
            pl.format(
                "{} · {} {} · {}",
                pl.col("at").dt.convert_time_zone(tz).dt.strftime("%-d %b %H:%M"),
                "party",
                kind,
                pl.col("what").fill_null(pl.col("event_id")),
            ).alias("label"),
        )
        .drop("what")
        .sort("at", "event_type", "event_id")
    )


def event_windows(
    chosen: pl.DataFrame, counts: pl.DataFrame, before_days: int = 7, after_days: int = 3, resolution: str = "hour"
) -> pl.DataFrame:
    """Each chosen event's party tweets from `before_days` before to `after_days` after it, aligned at t = 0.

    `chosen` has event, label, party and at. `offset` counts whole hours (or days, resolution="day") from the
    event: hour 0 is the event's first hour, day -1 the 24 hours before it. Hours without tweets are 0.
    """
    step = 1 if resolution == "hour" else 24
    first, last = -before_days * 24, after_days * 24
    party_hours = counts.group_by("party", "period_start").agg(pl.col("tweets").sum())
    hour = (pl.col("period_start") - pl.col("at")).dt.total_microseconds() // 3_600_000_000
    observed = (
        chosen.select("event", "party", "at")
        .join(party_hours, on="party", how="inner")
        .with_columns(hour.alias("hour"))
        .filter(pl.col("hour").is_between(first, last, closed="left"))
        .group_by("event", (pl.col("hour") // step).alias("offset"))
        .agg(pl.col("tweets").sum())
    )
    offsets = pl.DataFrame({"offset": pl.int_range(first // step, last // step, dtype=pl.Int64, eager=True)})
    grid = chosen.select("event", "label", "party").join(offsets, how="cross")
    return (
        grid.join(observed, on=["event", "offset"], how="left")
        .with_columns(pl.col("tweets").fill_null(0))
        .sort("event", "offset")
    )


def window_summary(windows: pl.DataFrame, lift: pl.DataFrame) -> pl.DataFrame:
    """Per chosen event: its lift row, its party's tweets before and after it in the window, and the peak."""
    sums = (
        windows.sort("tweets", "offset", descending=[True, False])
        .group_by("event", maintain_order=True)
        .agg(
            pl.col("tweets").filter(pl.col("offset") < 0).sum().alias("window_before"),
            pl.col("tweets").filter(pl.col("offset") >= 0).sum().alias("window_after"),
            pl.col("offset").first().alias("peak_offset"),
            pl.col("tweets").first().alias("peak_tweets"),
        )
    )
    return (
        lift.join(sums, on="event", how="inner")
        .select(
            "label",
            "event_type",
            "party",
            "at",
            "baseline",
            "after_24h",
            "lift",
            "window_before",
            "window_after",
            "peak_offset",
            "peak_tweets",
            "event",  # the machine key (as in links) last: the label says the same for a reader
        )
        .sort("at", "event")
    )


def headline_events(described: pl.DataFrame, spaces: pl.DataFrame, rallies: pl.DataFrame, count: int = 2) -> list[str]:
    """The events to compare first: the largest Space and the best-attended rally, then the biggest 24 h after."""
    space = spaces.sort("total_listeners", descending=True, nulls_last=True)["space_id"].head(1)
    rally = rallies.sort("reported_attendance", descending=True, nulls_last=True)["rally_id"].head(1)
    headline = described.filter(
        ((pl.col("event_type") == "space") & pl.col("event_id").is_in(space.implode()))
        | ((pl.col("event_type") == "rally") & pl.col("event_id").is_in(rally.implode()))
    ).sort("at")
    rest = (
        described.filter(pl.col("event_type") != "rally_announcement")
        .join(headline, on="event", how="anti")
        .sort("after_24h", "at", descending=[True, False], nulls_last=True)
    )
    return pl.concat([headline.select("event"), rest.select("event")]).head(count)["event"].to_list()
