"""The exported tables (Tables: what the export CLI writes and the pages download), the per-party summary, the
Overview's "since yesterday" picks and the Compare page's head to head. See docs/metrics.md.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from pulse.data.dataset import Dataset
from pulse.metrics.drivers import DriverTables, with_account_ids
from pulse.metrics.events import event_lift, events
from pulse.metrics.filters import Filters, data_window, hours_shown, in_dates, in_parties
from pulse.metrics.hashtags import OTHER_PARTIES, hashtag_daily, in_hashtags, party_daily
from pulse.metrics.rallies import current_rallies
from pulse.metrics.recent import (
    Rally,
    day_end,
    latest_space,
    next_or_latest_rally,
    strongest_hour,
    window_columns,
    window_totals,
    with_coverage,
)
from pulse.metrics.series import share_pct
from pulse.metrics.spaces import space_metrics
from pulse.metrics.streams import stream_metrics, streams_in

PARTY_SUMMARY = (
    "party",
    "spaces",
    "spaces_reach",
    "best_space_reach",
    "tweets",
    "share_of_voice_pct",
    "rallies",
    "as_of",
    *window_columns(),
)


@dataclass(frozen=True)
class Tables:
    """The five tables the export CLI writes and the pages show, for one set of filters."""

    spaces: pl.DataFrame
    hashtag_daily: pl.DataFrame
    party_daily: pl.DataFrame
    party_summary: pl.DataFrame
    events: pl.DataFrame
    as_of: datetime | None = field(default=None, compare=False)  # see pulse.metrics.recent.as_of; not a table
    # Live streams (pulse.metrics.streams.stream_metrics) in view; exported as streams.csv when there are any.
    streams: pl.DataFrame = field(default_factory=pl.DataFrame, compare=False)

    def as_dict(self) -> dict[str, pl.DataFrame]:
        return {
            "spaces": self.spaces,
            "hashtag_daily": self.hashtag_daily,
            "party_daily": self.party_daily,
            "party_summary": self.party_summary,
            "events": self.events,
        }


def export_tables(
    tables: Tables,
    drivers: DriverTables | None,
    author_key: Callable[[], bytes | None],
    claims: pl.DataFrame | None = None,
) -> dict[str, pl.DataFrame]:
    """Every table of a view by file name, as the export CLI writes them and the sidebar's workbook holds them: the
    metric tables, then hashtag_drivers when tweets have authors, and copy_bursts when they have texts, with account
    ids hashed with `author_key()` (as they are for None), which is called only then; then the claims ledger with
    its verdicts (pulse.metrics.claims.claim_verdicts) whenever claims exist; streams whenever the data has any."""
    frames = tables.as_dict()
    if not tables.streams.is_empty():
        frames["streams"] = tables.streams
    if drivers is not None:
        frames["hashtag_drivers"] = drivers.drivers
        if drivers.has_text:
            frames["copy_bursts"] = with_account_ids(drivers.bursts, author_key())
    if claims is not None and not claims.is_empty():
        frames["claims"] = claims
    return frames


def party_summary(
    spaces: pl.DataFrame,
    daily: pl.DataFrame,
    rallies: pl.DataFrame,
    recent: pl.DataFrame,
    as_of_: datetime | None,
    parties: tuple[str, ...] | None = None,
) -> pl.DataFrame:
    """One row per party over the selected range (inputs already cut to it; `daily` keeps every party), with the
    recent windows ending at `as_of_` (`recent`: pulse.metrics.recent.window_totals per party).

    Share of voice is against all parties' tweets in range, so narrowing the party filter does not inflate it.
    """
    tweets = daily.group_by("party").agg(pl.col("tweets").sum())
    known = pl.col("total_listeners").is_not_null().any()
    space_stats = spaces.group_by("party").agg(
        pl.len().cast(pl.Int64).alias("spaces"),
        pl.when(known).then(pl.col("total_listeners").sum()).alias("spaces_reach"),  # no known total: unknown
        pl.col("total_listeners").max().alias("best_space_reach"),
    )
    counted = [c for c in window_columns() if c.startswith("tweets")]
    rally_stats = rallies.group_by("party").agg(pl.col("rally_id").n_unique().cast(pl.Int64).alias("rallies"))
    everyone = pl.concat([f.select(pl.col("party").cast(pl.String)) for f in (spaces, daily, rallies)]).unique()
    summary = (
        everyone.join(space_stats, on="party", how="left")
        .join(tweets, on="party", how="left")
        .join(recent, on="party", how="left")
        .join(rally_stats, on="party", how="left")
        .with_columns(
            pl.col("spaces", "tweets", "rallies", *counted).fill_null(0),
            pl.when(pl.col("spaces") > 0).then(pl.col("spaces_reach")).otherwise(0).alias("spaces_reach"),
            pl.lit(as_of_, pl.Datetime("us", "UTC")).alias("as_of"),
        )
        .with_columns(share_pct(pl.col("tweets"), pl.col("tweets").sum()).alias("share_of_voice_pct"))
    )
    if parties is not None:
        summary = summary.filter(pl.col("party").is_in(list(parties)))
    return summary.select(PARTY_SUMMARY).sort("party")


def compute_tables(data: Dataset, filters: Filters) -> Tables:
    """The five export tables (and the streams) for one set of filters: what the CLI writes and the pages download."""
    tz = data.tz
    counts = data.hashtags.counts
    spaces = space_metrics(data.spaces).filter(in_dates(pl.col("started_at"), filters, tz))
    end, span = data_window(counts, filters, tz)
    shown = hours_shown(span, filters)

    daily_all = hashtag_daily(counts.filter(in_dates(pl.col("period_start"), filters, tz)), tz)
    hashtags_in = daily_all.filter(in_parties(filters) & in_hashtags(filters, data.hashtag_groups))
    party_all = party_daily(daily_all)

    rallies_now = current_rallies(data.rallies)
    rallies_in = rallies_now.filter(in_dates(pl.col("starts_at"), filters, tz))
    recent = window_totals(counts, end, ["party"])
    summary = party_summary(spaces, daily_all, rallies_in, recent, end, filters.parties)
    # Each event's lift depends on that event and the counts alone: pick the events first.
    chosen = events(data.spaces, data.rallies).filter(in_dates(pl.col("at"), filters, tz) & in_parties(filters))
    return Tables(
        spaces=spaces.filter(in_parties(filters)),
        hashtag_daily=with_coverage(hashtags_in, tz, shown),
        party_daily=with_coverage(party_all.filter(in_parties(filters)), tz, shown),
        party_summary=summary,
        events=event_lift(chosen, counts),
        as_of=end,
        streams=streams_in(stream_metrics(data.streams, data.rallies), filters, tz),
    )


# ---- Pages: Overview ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Today:
    """The overview's "since yesterday": the strongest hour, the latest Space and the next (or last) rally."""

    strongest: (
        dict | None
    )  # hashtag, party, period_start, tweets, mean_before, ratio (pulse.metrics.recent.strongest_hour)
    space: dict | None  # the latest Space (space_metrics) with `listeners`, `live` and `usual_multiple`
    rally: Rally | None


def today(data: Dataset, filters: Filters, as_of_: datetime | None) -> Today:
    """What happened in the 24 hours to `as_of_`, for the parties chosen, and the latest Space.

    The latest Space is the last to start, live or not (before the end of a custom range's last day)."""
    keep = in_parties(filters)
    until = None if filters.hours is not None or filters.end is None else day_end(filters.end, data.tz)
    space = latest_space(space_metrics(data.spaces).filter(keep), until)
    if space is not None:
        live = space["ended_at"] is None and space["total_listeners"] is None
        listeners = space["peak_listeners"] if live else space["total_listeners"]
        usual = space["benchmark_listeners"]
        # While live, the peak so far against the usual total: a floor of its score (total >= peak).
        multiple = listeners / usual if listeners is not None and usual else None
        space |= {"listeners": listeners, "live": live, "usual_multiple": multiple}
    return Today(
        strongest=strongest_hour(data.hashtags.counts.filter(keep), as_of_, ["hashtag", "party"]),
        space=space,
        rally=next_or_latest_rally(current_rallies(data.rallies).filter(keep), as_of_),
    )


def share_last_24h(summary: pl.DataFrame, parties: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Each party's share of every party's tweets in the 24 hours to as_of (`summary`: party_summary of every
    party), those not in `parties` summed as 'Other parties'; the most first, parties without a tweet left out."""
    named = pl.col("party")
    if parties is not None:
        named = pl.when(named.is_in(list(parties))).then(named).otherwise(pl.lit(OTHER_PARTIES))
    return (
        summary.group_by(named.alias("party"))
        .agg(pl.col("tweets_24h").sum())
        .filter(pl.col("tweets_24h") > 0)
        .with_columns(share_pct(pl.col("tweets_24h"), pl.col("tweets_24h").sum()).alias("share_24h_pct"))
        .sort("tweets_24h", "party", descending=[True, False])
    )


# ---- Pages: Compare -----------------------------------------------------------------------------------------------

HEAD_TO_HEAD = (
    ("tweets_7d", "Tweets, last 7 days (to as of)"),
    ("tweets_prev_7d", "Tweets, the 7 days before"),
    ("growth_7d_pct", "7-day growth (%)"),
    ("tweets", "Tweets, selected range"),
    ("share_of_voice_pct", "Share of voice, selected range (%)"),
    ("spaces_reach", "Spaces reach, selected range (listeners)"),
    ("rallies", "Rallies, selected range"),
    ("spaces", "Spaces"),
    ("best_space_reach", "Best Space (listeners)"),
)


def head_to_head(summary: pl.DataFrame, parties: list[str]) -> pl.DataFrame:
    """Measures as rows, the chosen parties as columns (in the order given), and who leads on each."""
    chosen = summary.filter(pl.col("party").is_in(parties))
    columns = [c for c, _ in HEAD_TO_HEAD]
    long = chosen.select("party", *[pl.col(c).cast(pl.Float64) for c in columns]).unpivot(
        index="party", variable_name="measure"
    )
    leader = (
        long.filter(pl.col("value").is_not_null())
        .sort("value", "party", descending=[True, False])
        .group_by("measure", maintain_order=True)
        .agg(pl.col("party").first().alias("leader"))
    )
    wide = long.pivot("party", index="measure", values="value")
    order = pl.DataFrame({"measure": columns, "label": [label for _, label in HEAD_TO_HEAD]}).with_row_index("__order")
    present = [p for p in parties if p in wide.columns]
    return (
        order.join(wide, on="measure", how="left")
        .join(leader, on="measure", how="left")
        .sort("__order")
        .select(pl.col("label").alias("measure"), *present, "leader")
    )
