"""Rallies: each rally as it now stands, its announcement history, and the Rallies page's figures.

A rally is announced, and may be announced again with a new date: the rallies table has one row per announcement.
See docs/metrics.md.
"""

from dataclasses import dataclass

import polars as pl

from pulse.metrics.filters import Filters, in_dates, in_parties


def current_rallies(rallies: pl.DataFrame) -> pl.DataFrame:
    """One row per rally as it now stands (its latest announcement), with its announcement history summed up."""
    return (
        rallies.sort("announced_at")
        .group_by("rally_id")
        .agg(
            pl.all().exclude("announced_at").last(),
            pl.col("announced_at").first().alias("first_announced_at"),
            pl.col("announced_at").last().alias("announced_at"),
            pl.len().cast(pl.Int64).alias("announcements"),
        )
        .with_columns(
            ((pl.col("starts_at") - pl.col("first_announced_at")).dt.total_microseconds() / 86_400e6).alias("lead_days")
        )
        .sort("starts_at", "rally_id")
    )


# ---- Pages: Rallies -----------------------------------------------------------------------------------------------


def rallies_in(rallies: pl.DataFrame, filters: Filters, tz: str) -> pl.DataFrame:
    """Rallies as they now stand whose current date is in range, of the selected parties."""
    return current_rallies(rallies).filter(in_dates(pl.col("starts_at"), filters, tz) & in_parties(filters))


def rally_history(rallies: pl.DataFrame, rally_ids: pl.Series | None = None) -> pl.DataFrame:
    """Every announcement of each rally in order: the date it set, how far it moved it, and its lead time."""
    days = 86_400e6
    if rally_ids is not None:
        rallies = rallies.filter(pl.col("rally_id").is_in(rally_ids.implode()))
    return (
        rallies.sort("rally_id", "announced_at")
        .with_columns(
            pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over("rally_id").alias("announcement"),
            (pl.col("announced_at") == pl.col("announced_at").max().over("rally_id")).alias("is_current"),
            pl.col("starts_at").shift(1).over("rally_id").alias("previous_starts_at"),
        )
        .with_columns(
            ((pl.col("starts_at") - pl.col("previous_starts_at")).dt.total_microseconds() / days).alias("moved_days"),
            ((pl.col("starts_at") - pl.col("announced_at")).dt.total_microseconds() / days).alias("lead_days"),
        )
        .select(
            "rally_id",
            "party",
            "city",
            "announcement",
            "announced_at",
            "starts_at",
            "previous_starts_at",
            "moved_days",
            "lead_days",
            "is_current",
        )
    )


@dataclass(frozen=True)
class RallyHeadline:
    """The Rallies page's headline figures for the rallies shown."""

    rallies: int
    reported_crowds: int  # sum of reported attendance
    without_figure: int  # rallies with no reported attendance
    rescheduled: int  # rallies whose date moved after it was first announced
    median_lift: float | None  # of the rallies held (not their announcements)


def rally_headline(rallies: pl.DataFrame, history: pl.DataFrame, lift: pl.DataFrame) -> RallyHeadline:
    """Headline figures from current rallies, their history (rally_history) and lift rows (rally_lift)."""
    return RallyHeadline(
        rallies=rallies.height,
        reported_crowds=rallies["reported_attendance"].sum(),
        without_figure=rallies["reported_attendance"].null_count(),
        rescheduled=history.filter(pl.col("moved_days") != 0)["rally_id"].n_unique(),
        median_lift=lift.filter(pl.col("event_type") == "rally")["lift"].median(),
    )


def largest_crowds(rallies: pl.DataFrame) -> pl.DataFrame:
    """Rallies by reported attendance, largest first (rallies without a figure last)."""
    return rallies.select("party", "city", "starts_at", "reported_attendance").sort(
        "reported_attendance", "starts_at", descending=[True, False], nulls_last=True
    )


def rally_lift(events_frame: pl.DataFrame, rallies: pl.DataFrame) -> pl.DataFrame:
    """The event-lift rows of rallies and their announcements, with the rally's city."""
    cities = current_rallies(rallies).select(pl.col("rally_id").alias("event_id"), "city")
    return (
        events_frame.filter(pl.col("event_type").is_in(["rally", "rally_announcement"]))
        .join(cities, on="event_id", how="left")
        .select("event_type", "event_id", "party", "city", "at", "baseline", "after_24h", "lift")
        .sort("at", "event_type", "event_id")
    )
