"""Hashtag charts: volume per hashtag or campaign (spike days ringed) and each party's share of voice."""

from datetime import timedelta

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import (
    LEGEND_LINE_PX,
    MEASURES,
    OTHER_COLOR,
    RECORD_COLOR,
    LineStyle,
    add_partial_days,
    as_text,
    day_axis,
    finish,
    hour_axis,
    line_name,
    local_time,
    no_data,
    solid,
    styled_lines,
)
from pulse.escape import plotly_columns
from pulse.metrics.hashtags import OTHER_PARTIES
from pulse.metrics.recent import day_hours


def hashtag_volume(
    series: pl.DataFrame,
    key: str,
    measure: str,
    styles: dict[str, LineStyle],
    tz: str,
    hourly: bool = False,
    log_scale: bool = False,
    names: dict[str, str] | None = None,
) -> go.Figure:
    """Volume per hashtag or campaign over time (daily or hourly); daily tweets mark spike days with a ring.

    The legend groups each party's series under the party's name (`names`: party code -> name); a series of no
    party (the rest summed: pulse.metrics.hashtags.with_other) comes last."""
    series, styles = plotly_columns(series).with_columns(line_name(key).alias(key)), as_text(styles)
    palette = {name: style.color for name, style in styles.items()}
    unit = "hour" if hourly else "day"
    what = "hashtag" if key == "hashtag" else "campaign"
    label = MEASURES[measure].replace(" per day", f" per {unit}")
    title = f"{label} per {what}" + (" · ◯ spike days" if measure == "tweets" and not hourly else "")
    title += " · dotted: partial day" if not hourly and "partial_day" in series.columns else ""
    if series.is_empty():
        return no_data(title)
    x = "period_start" if hourly else "date"
    frame = local_time(series, tz, "period_start") if hourly else solid(series, measure)
    frame = frame.with_columns(pl.col("party").fill_null("the rest, summed"))  # the hover's second field
    fig = px.line(
        frame,
        x=x,
        y=measure,
        color=key,
        color_discrete_map=palette,
        category_orders={key: list(palette)},
        custom_data=[key, "party"],
        render_mode="svg",  # WebGL above 1,000 points has no markers spread along a line (maxdisplayed)
    )
    when = "%a %d %b %Y %H:%M" if hourly else "%a %d %b %Y"
    number = ",.0f" if measure == "rolling_7d" else ","
    fig.update_traces(
        hovertemplate=(
            f"<b>%{{customdata[0]}}</b> · %{{customdata[1]}}<br>%{{x|{when}}}<br>%{{y:{number}}}<extra></extra>"
        )
    )
    styled_lines(fig, styles)
    if hourly:
        hour_axis(fig)
    else:
        add_partial_days(fig, series, key, measure, palette, tz, f"%{{y:{number}}}")
        day_axis(fig, series)
    if measure == "tweets" and not hourly and "is_spike" in series.columns:
        spikes = series.filter(pl.col("is_spike"))
        fig.add_scatter(
            x=spikes["date"],
            y=spikes["tweets"],
            mode="markers",
            name="Spike day",
            marker=dict(
                size=9,
                color="rgba(0,0,0,0)",
                line=dict(width=1.5, color=[palette.get(s, RECORD_COLOR) for s in spikes[key]]),
            ),
            customdata=spikes.select(key, "trailing_mean", "spike_ratio").rows(),
            hovertemplate=(
                "<b>Spike</b> · %{customdata[0]}<br>%{x|%a %d %b %Y}<br>%{y:,} tweets, "
                "%{customdata[2]:.1f}× the 14-day mean (%{customdata[1]:,.0f})<extra></extra>"
            ),
        )
    if log_scale:
        fig.update_yaxes(type="log", rangemode="normal")
    lines = series.select(key, "party").unique(key, maintain_order=True)
    _group_by_party(fig, lines, key, names or {})
    # The legend below lists one entry per line, each party's under its name: laid out across, a party's first
    # entry sat beside the last of the party before it, on a phone two parties to a line. Room for it, so the plot
    # keeps its height.
    legend_lines = lines.height + lines["party"].n_unique() + 1
    fig.update_layout(
        height=460 + LEGEND_LINE_PX * legend_lines, legend_orientation="v", legend_groupclick="togglegroup"
    )
    return finish(fig, title, "Local time" if hourly else "Local date", label)


def _group_by_party(fig: go.Figure, party_of: pl.DataFrame, key: str, names: dict[str, str]) -> None:
    """Legend entries of a party's series together under the party's name, so its shades read as one family.

    Each series is its own legend group with its partial-day segment and marker (legendgroup = the series' name,
    see add_partial_days), so hiding a series from the legend hides them too: plotly hides a trace without a
    legend entry only with its group, and a group per party would hide the party's every series at one click.
    The party's name is the title of its first series' group, and its series are listed together; the series of no
    party (the rest, summed) after them, under "All parties"."""
    parties = dict(party_of.select(key, "party").iter_rows())
    order = {party: rank for rank, party in enumerate(dict.fromkeys(p for p in parties.values() if p is not None))}
    titled: set[str] = set()
    for trace in (t for t in fig.data if t.name in parties):
        party = parties[trace.name]
        trace.legendgroup = trace.name
        trace.legendrank = order.get(party, len(order))  # before the spike ring's entry (plotly's default is 1000)
        if party not in titled:
            title = "All parties" if party is None else names.get(party, party)
            trace.legendgrouptitle = dict(text=title, font=dict(size=12, color="#6B7079"))
            titled.add(party)


def share_of_voice_area(shares: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Each party's share of all tweets per day, stacked to 100%; partial days shaded."""
    shares, colors = plotly_columns(shares), as_text(colors)
    title = "Share of voice: each party's share of all tweets per day"
    if shares.is_empty():
        return no_data(title)
    fig = px.area(
        shares,
        x="date",
        y="share_of_voice_pct",
        color="party",
        color_discrete_map={**colors, OTHER_PARTIES: OTHER_COLOR},
        custom_data=["party"],
    )
    fig.update_traces(
        line_width=0.5, hovertemplate="%{customdata[0]}<br>%{x|%a %d %b %Y}<br>%{y:.1f}% of tweets<extra></extra>"
    )
    fig.update_yaxes(range=[0, 100], ticksuffix="%", tickformat=".0f")
    fig.update_layout(hovermode="x unified")
    if "partial_day" in shares.columns:  # a partial day is veiled, and says how much of it the data covers
        last = shares["date"].max()
        for day, hours, length in (
            shares.filter(pl.col("partial_day"))
            .select("date", "hours_covered", day_hours(pl.col("date"), tz).alias("length"))
            .unique("date")
            .sort("date")
            .rows()
        ):
            fig.add_vrect(
                x0=day - timedelta(hours=12),
                x1=day + timedelta(hours=12),
                fillcolor="white",
                opacity=0.55,
                layer="above",
                line_width=0,
                annotation_text=f"partial day: {hours:g} of {length:g} h",
                annotation_position="top right" if day == last else "top left",
                annotation_font=dict(size=11, color="#4A4F57"),
            )
    day_axis(fig, shares)
    return finish(fig, title, "Local date", "Share of all tweets")
