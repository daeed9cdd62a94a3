"""Party charts: tweets per party by day (with Spaces and rallies marked) or by hour, and the 7-day trend."""

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import (
    MEASURES,
    add_partial_days,
    as_text,
    day_axis,
    finish,
    hour_axis,
    local_time,
    neutral_legend,
    no_data,
    solid,
)
from pulse.data.contract import local_date
from pulse.escape import plotly_columns


def party_volume(
    party_daily: pl.DataFrame,
    spaces: pl.DataFrame,
    rallies: pl.DataFrame,
    colors: dict[str, str],
    tz: str,
    log_scale: bool = False,
) -> go.Figure:
    """Daily tweets per party with each Space and rally marked on its party's line; record Spaces labelled."""
    party_daily, spaces, rallies, colors = (
        plotly_columns(party_daily),
        plotly_columns(spaces),
        plotly_columns(rallies),
        as_text(colors),
    )
    fig = px.line(
        solid(party_daily, "tweets"),
        x="date",
        y="tweets",
        color="party",
        color_discrete_map=colors,
        custom_data=["party"],
    )
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{x|%a %d %b %Y}<br>%{y:,} tweets<extra></extra>")
    add_partial_days(fig, party_daily, "party", "tweets", colors, tz, "%{y:,} tweets")
    on_line = party_daily.select("party", "date", "tweets")

    def placed(events: pl.DataFrame, at: str) -> pl.DataFrame:
        # Each event sits on its party's line at its local date.
        dated = events.with_columns(local_date(pl.col(at), tz).alias("date"))
        return dated.join(on_line, on=["party", "date"], how="inner").sort(at)

    space_marks = placed(spaces, "started_at")
    _add_party_markers(
        fig,
        space_marks,
        colors,
        "Space",
        dict(symbol="diamond", size=11, line=dict(color="white", width=1)),
        ["host", "total_listeners"],
        "%{customdata[0]}<br>%{x|%d %b %Y}<br>%{customdata[1]:,} listeners",
    )
    _add_party_markers(
        fig,
        placed(rallies, "starts_at"),
        colors,
        "rally",
        dict(symbol="star", size=15, line=dict(color="#262730", width=1)),
        ["city"],
        "%{customdata[0]}<br>%{x|%d %b %Y}",
    )
    records = space_marks.filter(pl.col("is_record") & pl.col("record_multiple").is_not_null())
    for record in records.iter_rows(named=True):
        fig.add_annotation(
            x=record["date"],
            y=record["tweets"],
            text=(
                f"<b>Record Space</b>: {record['total_listeners']:,} listeners<br>"
                f"{record['record_multiple']:.1f}× the previous record"
            ),
            showarrow=True,
            arrowhead=2,
            ax=-90,
            ay=-30,
            bgcolor="rgba(255,255,255,0.9)",
            bordercolor=colors.get(record["party"], "#262730"),
        )
    neutral_legend(fig, (("diamond", "Space"), ("star", "Rally")))
    if log_scale:
        fig.update_yaxes(type="log", rangemode="normal")
    day_axis(fig, party_daily)
    return finish(
        fig, "Daily tweets per party, with Spaces (◆) and rallies (★); ○ partial day", "Local date", "Tweets per day"
    )


def party_hourly(hourly: pl.DataFrame, colors: dict[str, str], tz: str, log_scale: bool = False) -> go.Figure:
    """Tweets per party and local hour: the overview's chart for a range of a day or two."""
    title = "Tweets per hour, by party"
    hourly, colors = plotly_columns(hourly), as_text(colors)
    if hourly.is_empty():
        return no_data(title)
    fig = px.line(
        local_time(hourly, tz, "period_start"),
        x="period_start",
        y="tweets",
        color="party",
        color_discrete_map=colors,
        custom_data=["party"],
    )
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{x|%a %d %b %H:%M}<br>%{y:,} tweets<extra></extra>")
    if log_scale:
        fig.update_yaxes(type="log", rangemode="normal")
    hour_axis(fig)
    return finish(fig, title, "Local time", "Tweets per hour")


def _add_party_markers(
    fig: go.Figure,
    marks: pl.DataFrame,
    colors: dict[str, str],
    kind: str,
    marker: dict,
    hover_columns: list[str],
    hover: str,
) -> None:
    """One marker trace per party, placed on that party's line (`marks` has party, date, tweets)."""
    for (party,), group in marks.group_by("party", maintain_order=True):
        fig.add_scatter(
            x=group["date"],
            y=group["tweets"],
            mode="markers",
            name=f"{party} {kind}",
            showlegend=False,
            marker=dict(marker, color=colors.get(party)),
            customdata=group.select(hover_columns).rows(),
            hovertemplate=f"{party} {kind} · {hover}<extra></extra>",
        )


def party_trend(party_daily: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """The 7-day average of the chosen parties' daily tweets, one line each; partial days dotted."""
    party_daily, colors = plotly_columns(party_daily), as_text(colors)
    measure = "rolling_7d"
    label = MEASURES[measure]
    title = f"{label}, by party"
    if party_daily.is_empty():
        return no_data(title)
    fig = px.line(
        solid(party_daily, measure),
        x="date",
        y=measure,
        color="party",
        color_discrete_map=colors,
        custom_data=["party"],
    )
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{x|%a %d %b %Y}<br>%{y:,.0f}<extra></extra>")
    add_partial_days(fig, party_daily, "party", measure, colors, tz, "%{y:,.0f}")
    day_axis(fig, party_daily)
    return finish(fig, title, "Local date", label)
