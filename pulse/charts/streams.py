"""Live audiences: streams' viewers over time, and Spaces and streams on one time axis, the platform marked."""

from datetime import datetime
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import (
    MARKERS_PER_LINE,
    OTHER_COLOR,
    RECORD_COLOR,
    as_text,
    finish,
    local_time,
    neutral_legend,
    no_data,
)
from pulse.escape import plotly_columns

# How each platform is drawn: its marker, and its line's dash (a Space's curve dotted, a stream's solid).
PLATFORM_STYLES = {"X Space": ("circle", "dot"), "YouTube": ("diamond", "solid")}
DASHES = ("solid", "dash", "longdash", "dashdot")  # a rally's second, third … stream


def audience_curves(
    curves: pl.DataFrame,
    colors: dict[str, str],
    tz: str,
    title: str,
    y: str = "Watching or listening at once",
    rally_at: datetime | None = None,
) -> go.Figure:
    """The sampled audience over time (curves: platform, id, label, party, at, audience), one line per Space or
    stream in its party's colour, the platform marked by its line and markers; a party's later lines dashed; the
    rally's start marked when given."""
    curves, colors = plotly_columns(curves), as_text(colors)
    if curves.is_empty():
        return no_data(title)
    shown = local_time(curves.sort("platform", "id", "at"), tz, "at")
    fig = go.Figure()
    nth: dict[tuple[str, str], int] = {}
    for (platform, _id), line in shown.group_by("platform", "id", maintain_order=True):
        party, label = line["party"][0], line["label"][0]
        symbol, dash = PLATFORM_STYLES.get(platform, ("circle", "solid"))
        i = nth.setdefault((party, platform), 0)
        nth[(party, platform)] += 1
        color = colors.get(party, OTHER_COLOR)
        fig.add_scatter(
            x=line["at"],
            y=line["audience"],
            mode="lines+markers",
            name=label,
            line=dict(color=color, dash=dash if dash != "solid" else DASHES[i % len(DASHES)]),
            marker=dict(color=color, symbol=symbol, size=7, maxdisplayed=MARKERS_PER_LINE),
            customdata=[[label]] * line.height,  # data, not part of the template: a '%{' in it stays text
            hovertemplate="%{customdata[0]}<br>%{x|%d %b %H:%M}<br>%{y:,} at once<extra></extra>",
        )
    if rally_at is not None:
        start = rally_at.astimezone(ZoneInfo(tz)).replace(tzinfo=None)  # drawn as local time, as the lines
        fig.add_vline(x=start, line=dict(color=RECORD_COLOR, width=1, dash="dot"))
        fig.add_annotation(x=start, y=1, yref="paper", text="rally starts", showarrow=False, xanchor="left")
    return finish(fig, title, "Local time", y)


def live_audiences(audiences: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Every Space and stream (pulse.metrics.streams.live_audiences) at its start, by its peak audience at once
    (log scale), in its party's colour, the platform by its marker."""
    title = "Spaces and live streams: the most at once"
    audiences, colors = plotly_columns(audiences), as_text(colors)
    known = local_time(audiences.filter(pl.col("peak").is_not_null()), tz, "started_at")
    if known.is_empty():
        return no_data(title)
    fig = go.Figure()
    for (platform, party), group in known.sort("platform", "party", "started_at").group_by(
        "platform", "party", maintain_order=True
    ):
        symbol, _ = PLATFORM_STYLES.get(platform, ("circle", "solid"))
        fig.add_scatter(
            x=group["started_at"],
            y=group["peak"],
            mode="markers",
            name=f"{party} · {platform}",
            showlegend=False,  # the legend names the platforms (below); a party's colour is the same on every page
            marker=dict(
                size=11, symbol=symbol, color=colors.get(party, OTHER_COLOR), line=dict(color="white", width=1)
            ),
            customdata=group.select(pl.col("who").fill_null("–"), pl.col("title").fill_null("untitled")).rows(),
            hovertemplate=(
                f"<b>{platform}</b> · {party} · %{{customdata[0]}}<br>%{{customdata[1]}}<br>"
                "%{x|%d %b %Y %H:%M}<br>%{y:,} at once<extra></extra>"
            ),
        )
    neutral_legend(fig, tuple((PLATFORM_STYLES[p][0], p) for p in PLATFORM_STYLES if p in set(known["platform"])))
    fig.update_yaxes(type="log", rangemode="normal")
    return finish(fig, title, "Start (local time)", "Most at once (log)")
