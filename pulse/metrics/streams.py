"""Live video streams (YouTube): each stream measured as a Space is (pulse.metrics.audience), the rally it
belongs to, each rally's online audience, the streams live now, and Spaces and streams on one time axis.
See docs/metrics.md.
"""

from datetime import datetime, timedelta

import polars as pl

from pulse.metrics.audience import with_audience_figures
from pulse.metrics.filters import Filters, in_dates, in_parties
from pulse.metrics.rallies import current_rallies

RALLY_WINDOW = timedelta(hours=6)  # a stream without a rally_id belongs to its party's rally this near its start
LIVE_SAMPLE_WITHIN = timedelta(minutes=15)  # a live stream's newest sample is at most this old

STREAM_FIGURES = ("duration_min", "viewer_minutes", "record_multiple", "is_record", "benchmark_viewers")


def stream_metrics(streams: pl.DataFrame, rallies: pl.DataFrame) -> pl.DataFrame:
    """Each stream with its rally (rally_id; rally_link: how it was linked), duration, viewer-minutes, its place in
    the record progression of peaks and its party's usual peak, as a Space's (pulse.metrics.audience)."""
    measured = with_audience_figures(
        streams, "stream_id", "peak_viewers", "avg_viewers", "viewer_minutes", "benchmark_viewers"
    )
    return (
        measured.drop("rally_id")
        .join(rally_links(streams, rallies), on="stream_id", how="left", maintain_order="left")
        .select(*streams.columns, "rally_link", *STREAM_FIGURES, "overperforming")
    )


def stream_records(measured: pl.DataFrame) -> pl.DataFrame:
    """Each stream (stream_metrics rows) that set a new all-time peak, with the record it broke (previous_record,
    empty for the first), in time order: a stream's record_progression."""
    return (
        measured.filter(pl.col("is_record").fill_null(False))
        .sort("started_at", "stream_id")
        .select(
            "stream_id",
            "party",
            "channel_title",
            "title",
            "started_at",
            "peak_viewers",
            pl.col("peak_viewers").shift(1).alias("previous_record"),
        )
    )


def rally_links(streams: pl.DataFrame, rallies: pl.DataFrame) -> pl.DataFrame:
    """Each stream's rally (stream_id, rally_id, rally_link): its own rally_id when set ("given"); else the rally
    of the same party (as it now stands) whose starts_at is within RALLY_WINDOW of the stream's started_at, either
    side, the nearest first, then the earlier-starting, then the smallest rally_id ("nearest"); else none."""
    given = streams.filter(pl.col("rally_id").is_not_null()).select(
        "stream_id", "rally_id", pl.lit("given").alias("rally_link")
    )
    held = current_rallies(rallies).select(
        pl.col("rally_id").alias("__rally"), pl.col("party").cast(pl.String), "starts_at"
    )
    gap = (pl.col("starts_at") - pl.col("started_at")).abs()
    nearest = (
        streams.filter(pl.col("rally_id").is_null() & pl.col("started_at").is_not_null())
        .select("stream_id", pl.col("party").cast(pl.String), "started_at")
        .join(held, on="party", how="inner")
        .filter(gap <= RALLY_WINDOW)
        .sort(gap, pl.col("starts_at"), pl.col("__rally"))
        .group_by("stream_id", maintain_order=True)
        .agg(pl.col("__rally").first().alias("rally_id"))
        .with_columns(pl.lit("nearest").alias("rally_link"))
    )
    links = pl.concat([given, nearest])
    return streams.select("stream_id").join(links, on="stream_id", how="left", maintain_order="left")


def rally_online(rallies: pl.DataFrame, streams: pl.DataFrame) -> pl.DataFrame:
    """Per rally shown (current_rallies rows), its reported crowd beside its measured online audience: how many
    streams (stream_metrics rows) belong to it, the largest peak of any one of them, that stream's time-weighted
    average, and their viewer-minutes summed; rallies without a stream have empty figures."""
    best = pl.col("peak_viewers").fill_null(-1).arg_max()
    online = (
        streams.filter(pl.col("rally_id").is_not_null())
        .group_by("rally_id")
        .agg(
            pl.len().cast(pl.Int64).alias("streams"),
            pl.col("peak_viewers").max().alias("online_peak"),
            pl.when(pl.col("peak_viewers").is_not_null().any())
            .then(pl.col("avg_viewers").get(best))
            .alias("online_avg"),
            pl.when(pl.col("viewer_minutes").count() > 0).then(pl.col("viewer_minutes").sum()).alias("viewer_minutes"),
        )
    )
    return (
        rallies.select("rally_id", "party", "city", "starts_at", "reported_attendance")
        .join(online, on="rally_id", how="left", maintain_order="left")
        .with_columns(pl.col("streams").fill_null(0))
        .sort("starts_at", "rally_id")
    )


def streams_in(streams: pl.DataFrame, filters: Filters, tz: str) -> pl.DataFrame:
    """Streams (stream_metrics rows) that started in the date range, of the selected parties."""
    return streams.filter(in_dates(pl.col("started_at"), filters, tz) & in_parties(filters))


def stream_audience(samples: pl.DataFrame, stream_ids: list[str]) -> pl.DataFrame:
    """The sampled viewers of the streams given, in time order per stream (empty when none has samples)."""
    chosen = pl.col("stream_id").is_in(pl.lit(stream_ids, pl.List(pl.String)))
    return samples.filter(chosen).sort("stream_id", "at").select("stream_id", "at", "viewers")


def count_hidden(streams: pl.DataFrame, samples: pl.DataFrame) -> pl.Expr:
    """True for a stream that started but has no viewer figure and not one sample: its count was hidden
    throughout (YouTube gives none when the owner hides it), so there is nothing to measure."""
    sampled = samples["stream_id"].unique().implode()
    return (
        pl.col("started_at").is_not_null()
        & pl.col("peak_viewers").is_null()
        & ~pl.col("stream_id").is_in(pl.lit(sampled))
    )


def live_streams(streams: pl.DataFrame, samples: pl.DataFrame, now: datetime) -> pl.DataFrame:
    """The streams live at `now`: started, not ended, with a sample no older than LIVE_SAMPLE_WITHIN (not in the
    future), with viewers_now (the newest sample's count) and sampled_at; the latest to start first."""
    newest = (
        samples.filter(pl.col("at") <= now)
        .sort("at")
        .group_by("stream_id")
        .agg(pl.col("at").last().alias("sampled_at"), pl.col("viewers").last().alias("viewers_now"))
    )
    return (
        streams.filter(
            pl.col("started_at").is_not_null() & (pl.col("started_at") <= now) & pl.col("ended_at").is_null()
        )
        .join(newest, on="stream_id", how="inner")
        .filter(pl.col("sampled_at") >= now - LIVE_SAMPLE_WITHIN)
        .sort("started_at", "stream_id", descending=[True, False])
    )


PLATFORM_NAMES = {"youtube": "YouTube"}  # as the pages name a stream's platform


def live_audiences(spaces: pl.DataFrame, streams: pl.DataFrame) -> pl.DataFrame:
    """Spaces and streams as one table, for one time axis: platform ("X Space", "YouTube"), id, party, who (host,
    channel), title, started_at, ended_at, peak (listeners or viewers at once) and average; by start time."""
    return pl.concat([space_rows(spaces), stream_rows(streams)]).sort("started_at", "platform", "id")


def space_rows(spaces: pl.DataFrame) -> pl.DataFrame:
    """Spaces as live_audiences rows."""
    return spaces.select(
        pl.lit("X Space").alias("platform"),
        pl.col("space_id").alias("id"),
        pl.col("party").cast(pl.String),
        pl.col("host").cast(pl.String).alias("who"),
        pl.col("title").cast(pl.String),
        "started_at",
        "ended_at",
        pl.col("peak_listeners").cast(pl.Int64).alias("peak"),
        pl.col("avg_listeners").cast(pl.Float64).alias("average"),
    )


def stream_rows(streams: pl.DataFrame) -> pl.DataFrame:
    """Streams that have started, as live_audiences rows."""
    return streams.filter(pl.col("started_at").is_not_null()).select(
        pl.col("platform").replace(PLATFORM_NAMES).alias("platform"),
        pl.col("stream_id").alias("id"),
        pl.col("party").cast(pl.String),
        pl.col("channel_title").cast(pl.String).alias("who"),
        pl.col("title").cast(pl.String),
        "started_at",
        "ended_at",
        pl.col("peak_viewers").cast(pl.Int64).alias("peak"),
        pl.col("avg_viewers").cast(pl.Float64).alias("average"),
    )


def audience_curves(
    space_samples: pl.DataFrame | None, stream_samples: pl.DataFrame, audiences: pl.DataFrame, tz: str
) -> pl.DataFrame:
    """The sampled audience of the Spaces and streams in `audiences` (live_audiences rows): platform, id, party,
    label ("who · platform · local day"), at, audience; in time order per Space or stream. `space_samples` None:
    streams only."""
    day = pl.col("started_at").dt.convert_time_zone(tz).dt.strftime("%-d %b")
    named = audiences.select(
        "platform",
        "id",
        "party",
        pl.format("{} · {} · {}", pl.col("who").fill_null(pl.col("id")), "platform", day).alias("label"),
    )
    sampled = [
        stream_samples.select(
            pl.lit(PLATFORM_NAMES["youtube"]).alias("platform"),
            pl.col("stream_id").alias("id"),
            "at",
            pl.col("viewers").cast(pl.Int64).alias("audience"),
        )
    ]
    if space_samples is not None:
        sampled.append(
            space_samples.select(
                pl.lit("X Space").alias("platform"),
                pl.col("space_id").alias("id"),
                "at",
                pl.col("participants").cast(pl.Int64).alias("audience"),
            )
        )
    return named.join(pl.concat(sampled), on=["platform", "id"], how="inner").sort("platform", "id", "at")
