"""Every chart of the dashboard: one template, party colours, builders with no side effects.

A builder takes data first and plain choices after, calls plotly express, adjusts the figure and returns it.
"""

import json
import math
import textwrap
from datetime import timedelta
from functools import cache
from pathlib import Path

import numpy as np
import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from pulse.data.contract import local_date
from pulse.escape import plotly_columns, plotly_text
from pulse.metrics import EVENT_KINDS, OTHER_PARTIES
from pulse.metrics.recent import day_hours

TEMPLATE = "pulse"
BORDERS = Path(__file__).resolve().parents[1] / "assets" / "pakistan_borders.json"
FONT = "Source Sans Pro, Noto Sans, Noto Nastaliq Urdu, Arial, sans-serif"

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color="#262730"),
        # Above the plot, pushing the top margin as far as the (wrapped) title needs: clear of the plot at any width.
        title=dict(font=dict(size=15), x=0, xanchor="left", automargin=True, yref="paper", pad=dict(b=10)),
        separators=".,",
        hovermode="closest",
        hoverlabel=dict(font=dict(family=FONT, size=13)),
        margin=dict(l=10, r=10, t=10, b=10),
        # Below the plot and horizontal: at 390 px a legend beside or over the plot leaves it a sliver.
        legend=dict(
            orientation="h",
            yref="container",
            y=0,
            yanchor="bottom",
            xanchor="left",
            x=0,
            title_text="",
            tracegroupgap=4,
        ),
        xaxis=dict(gridcolor="#EEF0F4", zeroline=False, automargin=True),
        yaxis=dict(gridcolor="#EEF0F4", zeroline=False, automargin=True, tickformat=",", rangemode="tozero"),
        plot_bgcolor="white",
        paper_bgcolor="white",
        # Down the right edge: across the top, the tools covered a phone's title.
        modebar=dict(orientation="v"),
    ),
    data=dict(scatter=[go.Scatter(line=dict(width=2))]),
)
pio.templates.default = "plotly_white+" + TEMPLATE


# About as many characters as fit on one line of a chart on a phone (390 px wide, 15 px font).
TITLE_CHARS = 44
ROW_PX = 40  # a row of a timeline and the label above it
LEGEND_LINE_PX = 20  # one line of a legend


def _finish(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    """The template's finish: the title wrapped to fit a phone, axis titles, and a time axis that spans the data."""
    fig.update_layout(
        title_text="<br>".join(textwrap.wrap(title, TITLE_CHARS)),
        xaxis_title=x,
        yaxis_title=y,
        legend_title_text="",
        template="plotly_white+" + TEMPLATE,
    )
    span = _time_span(fig)
    if span is not None:
        fig.update_xaxes(range=span)
    return fig


def _time_span(fig: go.Figure) -> list[str] | None:
    """The first and last time the traces draw, padded by 4 % (half a marker on a phone), on a time x axis.

    Plotly's own autorange also makes room for annotations (a label to the right of the last rally) and pads
    markers in pixels, so on a narrow screen the axis runs months past the data.
    """
    if fig.layout.xaxis.type not in (None, "date"):
        return None
    found = []
    for trace in fig.data:
        x = getattr(trace, "x", None)
        if x is None or getattr(trace, "xaxis", "x") not in (None, "x"):
            continue
        values = np.asarray(x)
        if values.dtype.kind not in "UOM":
            return None  # numbers: not a time axis
        try:
            times = values.astype("datetime64[us]")
        except (ValueError, TypeError):
            return None  # categories
        found.append(times[~np.isnat(times)])
    times = np.concatenate(found) if found else np.array([], dtype="datetime64[us]")
    if times.size == 0:
        return None
    first, last = times.min(), times.max()
    pad = max((last - first) * 0.04, np.timedelta64(1, "h"))
    return [str(first - pad), str(last + pad)]


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
        _as_text(colors),
    )
    fig = px.line(
        _solid(party_daily, "tweets"),
        x="date",
        y="tweets",
        color="party",
        color_discrete_map=colors,
        custom_data=["party"],
    )
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{x|%a %d %b %Y}<br>%{y:,} tweets<extra></extra>")
    _add_partial_days(fig, party_daily, "party", "tweets", colors, tz, "%{y:,} tweets")
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
    _neutral_legend(fig, (("diamond", "Space"), ("star", "Rally")))
    if log_scale:
        fig.update_yaxes(type="log", rangemode="normal")
    _day_axis(fig, party_daily)
    return _finish(
        fig, "Daily tweets per party, with Spaces (◆) and rallies (★); ○ partial day", "Local date", "Tweets per day"
    )


def party_hourly(hourly: pl.DataFrame, colors: dict[str, str], tz: str, log_scale: bool = False) -> go.Figure:
    """Tweets per party and local hour: the overview's chart for a range of a day or two."""
    title = "Tweets per hour, by party"
    hourly, colors = plotly_columns(hourly), _as_text(colors)
    if hourly.is_empty():
        return _no_data(title)
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
    _hour_axis(fig)
    return _finish(fig, title, "Local time", "Tweets per hour")


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


# ---- Shared helpers -----------------------------------------------------------------------------------------------

PARTIAL_MARKER = dict(symbol="circle-open", size=10, line=dict(width=2))


def _solid(daily: pl.DataFrame, y: str) -> pl.DataFrame:
    """The daily series without its partial days: the solid line stops where the data covers whole days."""
    if "partial_day" not in daily.columns:
        return daily
    return daily.with_columns(pl.when(~pl.col("partial_day")).then(pl.col(y)).alias(y))


def _add_partial_days(
    fig: go.Figure, daily: pl.DataFrame, key: str, y: str, palette: dict[str, str], tz: str, value: str
) -> None:
    """Days the data covers only in part (`partial_day`, pulse.metrics.recent.with_coverage): a dotted segment to their
    neighbours and a hollow marker that says "partial day: 5 of 24 h". `value` formats y in the hover."""
    if "partial_day" not in daily.columns or not daily["partial_day"].any():
        return
    partial = pl.col("partial_day")
    near = (partial | partial.shift(1).over(key) | partial.shift(-1).over(key)).fill_null(False)
    marked = daily.sort(key, "date").with_columns(
        pl.when(near).then(pl.col(y)).alias("__dotted"), day_hours(pl.col("date"), tz).alias("__day_hours")
    )
    for (name,), series in marked.group_by(key, maintain_order=True):
        color = palette.get(name, OTHER_COLOR)
        fig.add_scatter(
            x=series["date"],
            y=series["__dotted"],
            mode="lines",
            line=dict(color=color, width=2, dash="dot"),
            legendgroup=name,
            showlegend=False,
            hoverinfo="skip",
        )
        days = series.filter(partial)
        fig.add_scatter(
            x=days["date"],
            y=days[y],
            mode="markers",
            marker=dict(PARTIAL_MARKER, color="white", line=dict(width=2, color=color)),
            legendgroup=name,
            showlegend=False,
            customdata=[(name, f"{h:g}", f"{d:g}") for h, d in days.select("hours_covered", "__day_hours").rows()],
            hovertemplate=(
                f"<b>%{{customdata[0]}}</b><br>%{{x|%a %d %b %Y}}<br>{value}<br>"
                "partial day: %{customdata[1]} of %{customdata[2]} h<extra></extra>"
            ),
        )


def _day_axis(fig: go.Figure, daily: pl.DataFrame) -> None:
    """A few days: one tick per day, named as a day (plotly would otherwise count hours, even milliseconds)."""
    if daily["date"].n_unique() <= 7:
        fig.update_xaxes(dtick=86_400_000, tickformat="%-d %b")


def _hour_axis(fig: go.Figure) -> None:
    """Hours with the day under them: '14:00 / 31 May'."""
    fig.update_xaxes(tickformat="%H:%M<br>%-d %b")


OTHER_COLOR = "#C9CDD3"  # "Other parties" and other neutral context
RECORD_COLOR = "#262730"


def local_time(frame: pl.DataFrame, tz: str, *columns: str) -> pl.DataFrame:
    """Times as local wall-clock times: plotly draws a time as written and ignores its zone."""
    return frame.with_columns(pl.col(c).dt.convert_time_zone(tz).dt.replace_time_zone(None) for c in columns)


def _tint(hex_color: str, amount: float) -> str:
    """`hex_color` mixed with white: 0 is the colour, 1 is white."""
    rgb = [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02X}" for c in rgb)


def series_colors(series: pl.DataFrame, key: str, colors: dict[str, str]) -> dict[str, str]:
    """A colour per series (hashtag, campaign or event) in its party's hue: the first of a party in full colour,
    the next ones lighter, so a party's series read as a family. `series` has `key` and party, in order."""
    mapping = {}
    for (party,), group in (
        series.select(key, "party").unique(maintain_order=True).group_by("party", maintain_order=True)
    ):
        names = group[key].to_list()
        for i, name in enumerate(names):
            mapping[name] = _tint(colors.get(party, OTHER_COLOR), 0.55 * i / max(len(names) - 1, 1) if i else 0)
    return mapping


def _neutral_legend(fig: go.Figure, entries: tuple[tuple[str, str], ...], geo: bool = False) -> None:
    """Legend entries for marker symbols in neutral grey (the markers themselves are in party colours)."""
    for symbol, label in entries:
        marker = dict(symbol=symbol, size=11, color="#8A8F98", line=dict(color="#8A8F98", width=2))
        if geo:
            fig.add_scattergeo(lon=[None], lat=[None], mode="markers", name=label, hoverinfo="skip", marker=marker)
        else:
            fig.add_scatter(x=[None], y=[None], mode="markers", name=label, hoverinfo="skip", marker=marker)


def _as_text(colors: dict[str, str]) -> dict[str, str]:
    """A colour map keyed by names as plotly_columns writes them: data is text in a figure, never markup."""
    return {plotly_text(name): color for name, color in colors.items()}


def _no_data(title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text="No data for these filters", showarrow=False, font=dict(size=15, color="#8A8F98"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _finish(fig, title, "", "")


# ---- Spaces -------------------------------------------------------------------------------------------------------


def space_records(
    progression: pl.DataFrame, spaces: pl.DataFrame, colors: dict[str, str], tz: str, end: object = None
) -> go.Figure:
    """Every Space's audience as faint dots, the all-time record as a step line, each new record labelled
    with how many times the previous record it was."""
    progression, spaces, colors = plotly_columns(progression), plotly_columns(spaces), _as_text(colors)
    title = "Record progression: each new largest Space, and how far it beat the previous record"
    if progression.is_empty():
        return _no_data(title)
    records = local_time(progression, tz, "started_at")
    others = local_time(spaces.filter(pl.col("total_listeners").is_not_null()), tz, "started_at")
    fig = go.Figure()
    for (party,), group in others.group_by("party", maintain_order=True):
        fig.add_scatter(
            x=group["started_at"],
            y=group["total_listeners"],
            mode="markers",
            name=party,
            showlegend=False,  # one grey "Space" entry below: a party's colour is the same on every page
            marker=dict(size=7, color=colors.get(party, OTHER_COLOR), opacity=0.35),
            customdata=group.select("host").rows(),
            hovertemplate=f"{party} · %{{customdata[0]}}<br>%{{x|%d %b %Y %H:%M}}<br>%{{y:,}} listeners<extra></extra>",
        )
    last = others["started_at"].max() if not others.is_empty() else records["started_at"].max()
    steps_x = [*records["started_at"].to_list(), max(last, records["started_at"].max())]
    steps_y = [*records["total_listeners"].to_list(), records["total_listeners"][-1]]
    fig.add_scatter(
        x=steps_x,
        y=steps_y,
        mode="lines",
        line=dict(shape="hv", color=RECORD_COLOR, width=2, dash="dot"),
        name="All-time record",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=records["started_at"],
        y=records["total_listeners"],
        mode="markers",
        name="New record",
        marker=dict(
            size=16,
            symbol="star",
            color=[colors.get(p, OTHER_COLOR) for p in records["party"]],
            line=dict(color=RECORD_COLOR, width=1),
        ),
        customdata=records.select("party", "host", pl.col("previous_record").fill_null(0), "record_multiple").rows(),
        hovertemplate=(
            "<b>New record</b> · %{customdata[0]} · %{customdata[1]}<br>%{x|%d %b %Y %H:%M}<br>"
            "%{y:,} listeners (previous record %{customdata[2]:,})<extra></extra>"
        ),
    )
    first, span = steps_x[0], (steps_x[-1] - steps_x[0]) or 1
    for row in records.iter_rows(named=True):
        multiple = row["record_multiple"]
        # The host is in the hover: a label must fit beside its star on a phone.
        text = f"<b>{row['total_listeners']:,}</b> · {row['party']}"
        if multiple is not None:
            text += f"<br><b>{multiple:.1f}×</b> the previous record"
        right_half = (row["started_at"] - first) / span > 0.5  # the label opens towards the middle of the plot
        fig.add_annotation(
            x=row["started_at"],
            y=row["total_listeners"],
            text=text,
            showarrow=True,
            arrowhead=0,
            ax=-30 if right_half else 30,
            ay=-30 if multiple is None else 20,
            xanchor="right" if right_half else "left",
            align="right" if right_half else "left",
            bgcolor="rgba(255,255,255,0.92)",
            bordercolor=colors.get(row["party"], RECORD_COLOR),
            font=dict(size=13 if multiple is not None else 12),
        )
    fig.update_yaxes(rangemode="tozero")
    _neutral_legend(fig, (("circle", "Space"),))
    fig.update_layout(height=460)
    return _finish(fig, title, "Start of the Space (local time)", "Total listeners")


def reach_by_party(reach: pl.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Total listeners of each party's Spaces as horizontal bars, the largest on top."""
    reach, colors = plotly_columns(reach), _as_text(colors)
    title = "Spaces reach by party (sum of total listeners)"
    if reach.is_empty():
        return _no_data(title)
    fig = px.bar(
        reach.reverse(),
        x="spaces_reach",
        y="party",
        color="party",
        orientation="h",
        color_discrete_map=colors,
        text="spaces_reach",
        custom_data=["spaces", "median_space_reach", "best_space_reach"],
    )
    fig.update_traces(
        texttemplate="%{x:,}",
        textposition="outside",
        cliponaxis=False,
        hovertemplate=(
            "<b>%{y}</b><br>%{x:,} listeners in %{customdata[0]:,} Spaces<br>"
            "median Space %{customdata[1]:,.0f} · best %{customdata[2]:,}<extra></extra>"
        ),
    )
    fig.update_layout(showlegend=False, xaxis_tickformat=",")
    fig.update_xaxes(range=[0, reach["spaces_reach"].max() * 1.18])
    fig.update_layout(height=120 + 42 * reach.height)
    return _finish(fig, title, "Listeners (sum over the party's Spaces)", "")


def space_audience(audience: pl.DataFrame, tz: str, color: str) -> go.Figure:
    """The sampled number of listeners of one Space over its lifetime."""
    fig = px.line(local_time(audience, tz, "at"), x="at", y="participants", markers=True)
    fig.update_traces(line_color=color, hovertemplate="%{x|%H:%M}<br>%{y:,} listening<extra></extra>")
    return _finish(fig, "Audience during the Space", "Local time", "Listeners at that moment")


def space_overperformance(spaces: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Each Space's total listeners as a multiple of its party's usual (log scale), 1× marked."""
    title = "Spaces against their party's usual (× its benchmark)"
    rated = local_time(spaces.filter(pl.col("overperforming").is_not_null()), tz, "started_at")
    if rated.is_empty():
        return _no_data(title)
    fig = go.Figure()
    for (party,), group in rated.sort("party", "started_at").group_by("party", maintain_order=True):
        shown = plotly_text(party)  # party codes and hosts are data: no markup in plotly's legend or hover
        fig.add_scatter(
            x=group["started_at"],
            y=group["overperforming"],
            mode="markers",
            name=shown,
            marker=dict(size=10, color=colors.get(party, OTHER_COLOR), line=dict(color="white", width=1)),
            customdata=[
                (plotly_text(host), total, usual)
                for host, total, usual in group.select("host", "total_listeners", "benchmark_listeners").rows()
            ],
            hovertemplate=(
                f"{shown} · %{{customdata[0]}}<br>%{{x|%d %b %Y %H:%M}}<br>%{{customdata[1]:,}} listeners, "
                f"%{{y:.1f}}× the usual %{{customdata[2]:,.0f}}<extra></extra>"
            ),
        )
    best = rated.sort("overperforming", "started_at", descending=[True, False]).row(0, named=True)
    fig.add_annotation(
        x=best["started_at"],
        y=math.log10(best["overperforming"]),
        text=plotly_text(f"{best['overperforming']:.1f}× {best['party']}'s usual · {best['host']}"),
        showarrow=True,
        arrowhead=0,
        ax=40,
        ay=0,
        xanchor="left",
        bgcolor="rgba(255,255,255,0.9)",
    )
    fig.add_hline(y=1, line=dict(color=RECORD_COLOR, width=1, dash="dash"))
    fig.add_annotation(
        x=0, xref="paper", y=0, yref="y", text="the party's usual", showarrow=False, xanchor="left", yanchor="bottom"
    )
    ticks = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100]
    fig.update_yaxes(type="log", rangemode="normal", tickvals=ticks, ticktext=[f"{t:g}×" for t in ticks])
    fig.update_layout(height=420)
    return _finish(fig, title, "Start of the Space (local time)", "Total listeners ÷ party's usual")


# ---- Hashtags -----------------------------------------------------------------------------------------------------

MEASURES = {
    "tweets": "Tweets per day",
    "rolling_7d": "7-day average of tweets per day",
    "cumulative": "Cumulative tweets",
    "unique_authors": "Unique authors per day",
}


def hashtag_volume(
    series: pl.DataFrame,
    key: str,
    measure: str,
    palette: dict[str, str],
    tz: str,
    hourly: bool = False,
    log_scale: bool = False,
    names: dict[str, str] | None = None,
) -> go.Figure:
    """Volume per hashtag or campaign over time (daily or hourly); daily tweets mark spike days with a ring.

    The legend groups each party's series under the party's name (`names`: party code -> name)."""
    series, palette = plotly_columns(series), _as_text(palette)
    unit = "hour" if hourly else "day"
    what = "hashtag" if key == "hashtag" else "campaign"
    label = MEASURES[measure].replace(" per day", f" per {unit}")
    title = f"{label} per {what}" + (" · ◯ spike days" if measure == "tweets" and not hourly else "")
    title += " · dotted: partial day" if not hourly and "partial_day" in series.columns else ""
    if series.is_empty():
        return _no_data(title)
    x = "period_start" if hourly else "date"
    frame = local_time(series, tz, "period_start") if hourly else _solid(series, measure)
    fig = px.line(
        frame,
        x=x,
        y=measure,
        color=key,
        color_discrete_map=palette,
        category_orders={key: list(palette)},
        custom_data=[key, "party"],
    )
    when = "%a %d %b %Y %H:%M" if hourly else "%a %d %b %Y"
    number = ",.0f" if measure == "rolling_7d" else ","
    fig.update_traces(
        hovertemplate=(
            f"<b>%{{customdata[0]}}</b> · %{{customdata[1]}}<br>%{{x|{when}}}<br>%{{y:{number}}}<extra></extra>"
        )
    )
    if hourly:
        _hour_axis(fig)
    else:
        _add_partial_days(fig, series, key, measure, palette, tz, f"%{{y:{number}}}")
        _day_axis(fig, series)
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
    # On a phone the legend below is one entry per line: room for it, so the plot keeps its height.
    legend_lines = lines.height + lines["party"].n_unique() + 1
    fig.update_layout(height=460 + LEGEND_LINE_PX * legend_lines, legend_groupclick="togglegroup")
    return _finish(fig, title, "Local time" if hourly else "Local date", label)


def _group_by_party(fig: go.Figure, party_of: pl.DataFrame, key: str, names: dict[str, str]) -> None:
    """Legend entries of a party's series together under the party's name, so its shades read as one family.

    Each series is its own legend group with its partial-day segment and marker (legendgroup = the series' name,
    see _add_partial_days), so hiding a series from the legend hides them too: plotly hides a trace without a
    legend entry only with its group, and a group per party would hide the party's every series at one click.
    The party's name is the title of its first series' group, and its series are listed together."""
    parties = dict(party_of.select(key, "party").iter_rows())
    order = {party: rank for rank, party in enumerate(dict.fromkeys(parties.values()))}
    titled: set[str] = set()
    for trace in (t for t in fig.data if t.name in parties):
        party = parties[trace.name]
        trace.legendgroup = trace.name
        trace.legendrank = order[party]  # before the spike ring's entry (plotly's default rank is 1000)
        if party not in titled:
            trace.legendgrouptitle = dict(text=names.get(party, party), font=dict(size=12, color="#6B7079"))
            titled.add(party)


def share_of_voice_area(shares: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Each party's share of all tweets per day, stacked to 100%; partial days shaded."""
    shares, colors = plotly_columns(shares), _as_text(colors)
    title = "Share of voice: each party's share of all tweets per day"
    if shares.is_empty():
        return _no_data(title)
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
    _day_axis(fig, shares)
    return _finish(fig, title, "Local date", "Share of all tweets")


# ---- Who drives a hashtag -------------------------------------------------------------------------------------------

CONCENTRATION_TINTS = {1: 0.0, 10: 0.4, 50: 0.7}  # the top 1 % in the party's colour, wider groups lighter


def author_concentration(shares: pl.DataFrame, key: str, colors: dict[str, str]) -> go.Figure:
    """Per hashtag (or campaign) and party: the share of its tweets by its top 1 %, 10 % and 50 % of authors."""
    title = "Share of tweets by the most active authors"
    if shares.is_empty():
        return _no_data(title)
    rows = shares.with_columns(pl.format("{} · {}", pl.col(key), "party").alias("__row"))
    order = rows["__row"].unique(maintain_order=True).to_list()
    fig = go.Figure()
    for top, tint in reversed(CONCENTRATION_TINTS.items()):  # plotly stacks a group's bars upwards: 1 % on top
        level = rows.filter(pl.col("top") == top)
        fig.add_bar(
            x=level["share_pct"],
            y=[plotly_text(r) for r in level["__row"]],  # hashtags are data: no markup in plotly's labels
            orientation="h",
            name=f"top {top} % of authors",
            marker=dict(color=[_tint(colors.get(p, OTHER_COLOR), tint) for p in level["party"]]),
            hovertemplate=f"<b>%{{y}}</b><br>top {top} % of authors: %{{x:.1f}}% of tweets<extra></extra>",
            showlegend=False,
        )
    for top, tint in CONCENTRATION_TINTS.items():
        # The bars take each party's colour: the legend says which shade is which group, in grey.
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=f"top {top} % of authors",
            hoverinfo="skip",
            marker=dict(symbol="square", size=12, color=_tint("#5A5F68", tint)),
        )
    fig.update_layout(barmode="group", height=160 + 46 * len(order))
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=[plotly_text(r) for r in order][::-1],
        tickformat="",
        rangemode="normal",
    )
    fig.update_xaxes(range=[0, 100], ticksuffix="%", tickformat=".0f")
    return _finish(fig, title, "Share of the tweets", "")


# ---- Rallies ------------------------------------------------------------------------------------------------------

PAKISTAN_VIEW = dict(lon=(60.5, 78.0), lat=(23.3, 37.3))


@cache
def _borders() -> dict[str, list]:
    return json.loads(BORDERS.read_text(encoding="utf-8"))["countries"]


def _outline(lines: list) -> tuple[list, list]:
    lons: list = []
    lats: list = []
    for line in lines:
        for point in [*line, None]:
            lons.append(None if point is None else point[0])
            lats.append(None if point is None else point[1])
    return lons, lats


def rally_map(rallies: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Rallies on a map of Pakistan: marker area = reported attendance, colour = party; no attendance = ring.

    The country outlines are drawn from a bundled file (Natural Earth), so the map needs no internet.
    """
    rallies, colors = plotly_columns(rallies), _as_text(colors)
    title = "Where the rallies were (marker size = reported attendance)"
    located = local_time(rallies.filter(pl.col("lat").is_not_null() & pl.col("lon").is_not_null()), tz, "starts_at")
    fig = go.Figure()
    borders = _borders()
    for country, lines in borders.items():
        lons, lats = _outline(lines)
        home = country == "Pakistan"
        fig.add_scattergeo(
            lon=lons,
            lat=lats,
            mode="lines",
            fill="toself" if home else None,
            fillcolor="#F4F1EA" if home else None,
            line=dict(color="#6B7079" if home else "#C3C7CE", width=1.4 if home else 0.8),
            hoverinfo="skip",
            showlegend=False,
        )
    attendance = pl.col("reported_attendance")
    # Marker area grows with the crowd (radius in px), small enough for a phone; a ring when not reported.
    radius = pl.when(attendance.is_null()).then(6.0).otherwise(6 + 12 * (attendance / attendance.max()).sqrt())
    sized = located.sort("reported_attendance", descending=True, nulls_last=True).with_columns(radius.alias("radius"))

    for (party,), group in sized.group_by("party", maintain_order=True):
        known = group["reported_attendance"].is_not_null()
        fig.add_scattergeo(
            lon=group["lon"],
            lat=group["lat"],
            mode="markers",
            name=party,
            marker=dict(
                size=(2 * group["radius"]).to_list(),
                color=[colors.get(party, OTHER_COLOR) if k else "rgba(255,255,255,0.6)" for k in known],
                line=dict(color=colors.get(party, OTHER_COLOR), width=2),
                opacity=0.8,
            ),
            customdata=[
                (*row, "not reported" if attendance is None else f"{attendance:,}")
                for row, attendance in zip(
                    group.select(
                        "city", pl.col("venue").fill_null(""), pl.col("starts_at").dt.strftime("%a %-d %b %Y, %H:%M")
                    ).rows(),
                    group["reported_attendance"],
                    strict=True,
                )
            ],
            hovertemplate=(
                f"<b>{party} rally · %{{customdata[0]}}</b><br>%{{customdata[1]}}<br>%{{customdata[2]}}<br>"
                "Reported attendance: %{customdata[3]}<extra></extra>"
            ),
        )
    cities = (
        sized.group_by("city")
        .agg(pl.col("lat").first(), pl.col("lon").first(), attendance.max(), pl.col("radius").max())
        .sort("reported_attendance", "city", descending=[True, False], nulls_last=True)
    )
    for city, lat, lon, position in map_labels(cities):
        fig.add_scattergeo(
            lon=[lon],
            lat=[lat],
            mode="text",
            text=[f"<b>{city}</b>"],
            textposition=position,
            textfont=dict(size=12, color="#3A3F47"),
            hoverinfo="skip",
            showlegend=False,
        )
    _neutral_legend(fig, (("circle-open", "Attendance not reported"),), geo=True)
    # Only the bundled outlines: every built-in layer off, so plotly fetches no shapes from a CDN.
    fig.update_geos(
        visible=False,
        projection_type="mercator",
        lonaxis_range=PAKISTAN_VIEW["lon"],
        lataxis_range=PAKISTAN_VIEW["lat"],
        bgcolor="#FBFCFD",
    )
    fig.update_layout(height=560, margin=dict(l=0, r=0))
    return _finish(fig, title, "", "")


# The map's scale on a phone, where labels are most crowded: 17.5° of longitude across about 360 px.
MAP_PX_PER_DEGREE = 20.5
LABEL_PX_PER_CHAR = 7.0  # bold 12 px text
LABEL_PX_HIGH = 14.0


def map_labels(cities: pl.DataFrame) -> list[tuple[str, float, float, str]]:
    """Where to write each city's name on the rally map: (city, lat, lon, plotly textposition) for each city whose
    name fits right, left, above or below its marker without covering another city's marker or label.

    `cities` has city, lat, lon and the marker's radius (px), the most important first: they are placed first.
    Sizes are reckoned at a phone's scale; on a wider screen everything is further apart.
    """
    px, half_high = 1 / MAP_PX_PER_DEGREE, LABEL_PX_HIGH / 2

    def box(lat: float, lon: float, left: float, right: float, down: float, up: float) -> tuple:
        # Pixels around a point to a lon/lat box; Mercator stretches latitude by 1/cos(lat).
        stretch = np.cos(np.radians(lat))
        return (lon + left * px, lon + right * px, lat + down * px * stretch, lat + up * px * stretch)

    def overlaps(a: tuple, b: tuple) -> bool:
        return a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]

    rows = list(cities.select("city", "lat", "lon", "radius").iter_rows())
    taken = [box(lat, lon, -r, r, -r, r) for _, lat, lon, r in rows]  # every marker
    (west, east), (south, north) = PAKISTAN_VIEW["lon"], PAKISTAN_VIEW["lat"]
    placed = []
    for city, lat, lon, r in rows:
        wide, gap = LABEL_PX_PER_CHAR * len(city), r + 3
        candidates = (  # (label box, anchor point as lat/lon offsets in px, textposition)
            (box(lat, lon, gap, gap + wide, -half_high, half_high), (0, gap), "middle right"),
            (box(lat, lon, -gap - wide, -gap, -half_high, half_high), (0, -gap), "middle left"),
            (box(lat, lon, -wide / 2, wide / 2, gap, gap + LABEL_PX_HIGH), (gap, 0), "top center"),
            (box(lat, lon, -wide / 2, wide / 2, -gap - LABEL_PX_HIGH, -gap), (-gap, 0), "bottom center"),
        )
        own = box(lat, lon, -r, r, -r, r)
        for label, (up, right), position in candidates:
            inside = west <= label[0] and label[1] <= east and south <= label[2] and label[3] <= north
            if inside and not any(overlaps(label, other) for other in taken if other != own):
                taken.append(label)
                anchor = box(lat, lon, right, right, up, up)
                placed.append((city, anchor[2], anchor[0], position))
                break
    return placed


def rally_timeline(history: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """One row per rally: from its first announcement (○) to the day it was held (◆); dates it was announced
    for and then moved away from are ✕, and a rescheduled rally says how it moved."""
    history, colors = plotly_columns(history), _as_text(colors)
    title = "Announcements and rally dates: lead time and reschedules"
    if history.is_empty():
        return _no_data(title)
    frame = local_time(history, tz, "announced_at", "starts_at")
    held = frame.filter(pl.col("is_current")).sort("starts_at")
    row_of = {
        r["rally_id"]: f"{r['party']} · {r['city']} · {r['starts_at']:%-d %b}" for r in held.iter_rows(named=True)
    }
    frame = frame.with_columns(
        pl.col("rally_id").replace_strict(row_of).alias("row"),
        (pl.col("starts_at") != pl.col("starts_at").last().over("rally_id")).alias("given_up"),
    )
    fig = go.Figure()
    for r in (
        frame.group_by("rally_id", maintain_order=True)
        .agg(pl.col("row").first(), pl.col("party").first(), pl.col("announced_at").min(), pl.col("starts_at").last())
        .iter_rows(named=True)
    ):
        fig.add_scatter(
            x=[r["announced_at"], r["starts_at"]],
            y=[r["row"], r["row"]],
            mode="lines",
            line=dict(color=_tint(colors.get(r["party"], OTHER_COLOR), 0.45), width=4),
            hoverinfo="skip",
            showlegend=False,
        )
    fmt = "%a %-d %b %H:%M"
    marks = (
        ("Announced", frame, "announced_at", "circle-open", 10),
        ("Date later moved", frame.filter(pl.col("given_up")), "starts_at", "x-thin-open", 11),
        ("Rally held", frame.filter(pl.col("is_current")), "starts_at", "diamond", 13),
    )
    for name, rows, x, symbol, size in marks:
        fig.add_scatter(
            x=rows[x],
            y=rows["row"],
            mode="markers",
            name=name,
            showlegend=False,
            marker=dict(
                symbol=symbol,
                size=size,
                color=[colors.get(p, OTHER_COLOR) for p in rows["party"]],
                line=dict(width=2, color=[colors.get(p, OTHER_COLOR) for p in rows["party"]]),
            ),
            customdata=rows.select(
                "announcement", pl.col("announced_at").dt.strftime(fmt), pl.col("starts_at").dt.strftime(fmt)
            ).rows(),
            hovertemplate=(
                f"<b>%{{y}}</b> · {name.lower()}<br>Announcement %{{customdata[0]}}, made %{{customdata[1]}}"
                "<br>for %{customdata[2]}<extra></extra>"
            ),
        )
    labels = {row: row for row in row_of.values()}
    moved = frame.filter(pl.col("rally_id").is_in(frame.filter(pl.col("given_up"))["rally_id"].implode()))
    for (rally_id,), group in moved.group_by("rally_id", maintain_order=True):
        path = " → ".join(f"{d:%-d}" for d in group["starts_at"]) + f" {group['starts_at'][-1]:%b}"
        labels[row_of[rally_id]] += f" · moved: {path}"
    _label_rows_inside(fig, labels)
    _neutral_legend(fig, (("circle-open", "Announced"), ("x-thin-open", "Date later moved"), ("diamond", "Rally held")))
    return _finish(fig, title, "Local date", "")


def _label_rows_inside(fig: go.Figure, labels: dict[str, str]) -> None:
    """Category rows, top to bottom in the order of `labels` (row -> label), each named by its label just above it
    inside the plot instead of by a tick label: beside the axis, labels leave the plot a sliver on a phone."""
    rows = list(labels)
    fig.update_yaxes(
        categoryorder="array", categoryarray=rows[::-1], showticklabels=False, tickformat="", rangemode="normal"
    )
    for row, label in labels.items():
        fig.add_annotation(
            xref="paper",
            x=0,
            y=row,
            xanchor="left",
            yanchor="bottom",
            yshift=4,
            text=label,
            showarrow=False,
            font=dict(size=12, color="#3A3F47"),
        )
    fig.update_layout(height=150 + ROW_PX * len(rows))


def event_lift(lift: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Each event's party tweets per day: the usual day before (○) against the 24 hours after (●), with the lift.

    `lift` has the rows of pulse.metrics.rally_lift (rallies and their announcements, with the city).
    """
    lift, colors = plotly_columns(lift), _as_text(colors)
    title = "Lift: party tweets in the 24 h after each event against its usual day"
    if lift.is_empty():
        return _no_data(title)
    frame = local_time(lift, tz, "at").with_columns(
        pl.format(
            "{} · {} {} · {}",
            pl.col("at").dt.strftime("%-d %b"),
            "party",
            pl.col("event_type").replace_strict(EVENT_KINDS, default=pl.col("event_type")),
            "city",
        ).alias("row")
    )
    fig = go.Figure()
    for r in frame.iter_rows(named=True):
        fig.add_scatter(
            x=[r["baseline"], r["after_24h"]],
            y=[r["row"], r["row"]],
            mode="lines",
            line=dict(color=_tint(colors.get(r["party"], OTHER_COLOR), 0.4), width=3),
            hoverinfo="skip",
            showlegend=False,
        )
    for name, x, symbol in (
        ("Usual day (7-day mean)", "baseline", "circle-open"),
        ("First 24 h", "after_24h", "circle"),
    ):
        fig.add_scatter(
            x=frame[x],
            y=frame["row"],
            mode="markers",
            name=name,
            showlegend=False,
            marker=dict(
                symbol=symbol,
                size=11,
                color=[colors.get(p, OTHER_COLOR) for p in frame["party"]],
                line=dict(width=2, color=[colors.get(p, OTHER_COLOR) for p in frame["party"]]),
            ),
            customdata=frame.select("baseline", "after_24h", pl.col("lift").fill_nan(None)).rows(),
            hovertemplate=(
                "<b>%{y}</b><br>usual day %{customdata[0]:,.0f} tweets<br>first 24 h %{customdata[1]:,} tweets"
                "<br>lift %{customdata[2]:.1f}×<extra></extra>"
            ),
        )
    fig.update_xaxes(type="log", tickformat="~s")
    # The lift ends each row's label: as text beside the largest marker it ran off the plot's right edge.
    lifts = frame.select("row", pl.col("lift").fill_nan(None)).iter_rows()
    _label_rows_inside(fig, {row: f"{row} · <b>{'n/a' if v is None else f'{v:.1f}×'}</b>" for row, v in lifts})
    _neutral_legend(fig, (("circle-open", "Usual day (mean of the 7 days before)"), ("circle", "First 24 h")))
    return _finish(fig, title, "Party tweets per day (log scale)", "")


# ---- Compare ------------------------------------------------------------------------------------------------------


def aligned_windows(windows: pl.DataFrame, palette: dict[str, str], hourly: bool = True) -> go.Figure:
    """The party volume around each chosen event on one time axis, t = 0 at the event."""
    windows, palette = plotly_columns(windows), _as_text(palette)
    unit = "hour" if hourly else "day"
    title = f"Party tweets per {unit} around each event (t = 0 at the event)"
    if windows.is_empty():
        return _no_data(title)
    fig = px.line(
        windows,
        x="offset",
        y="tweets",
        color="label",
        color_discrete_map=palette,
        markers=not hourly,
        custom_data=["label"],
    )
    fig.update_traces(hovertemplate=f"%{{customdata[0]}}<br>{unit} %{{x:+d}}<br>%{{y:,}} tweets<extra></extra>")
    fig.add_vline(x=0, line=dict(color=RECORD_COLOR, width=1, dash="dash"))
    fig.add_annotation(x=0, y=1, yref="paper", text="event", showarrow=False, xanchor="left", xshift=4)
    fig.update_xaxes(dtick=24 if hourly else 1, zeroline=False)
    fig.update_layout(height=480)
    return _finish(fig, title, f"{unit.capitalize()}s from the event", f"Party tweets per {unit}")


def party_trend(party_daily: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """The 7-day average of the chosen parties' daily tweets, one line each; partial days dotted."""
    party_daily, colors = plotly_columns(party_daily), _as_text(colors)
    measure = "rolling_7d"
    label = MEASURES[measure]
    title = f"{label}, by party"
    if party_daily.is_empty():
        return _no_data(title)
    fig = px.line(
        _solid(party_daily, measure),
        x="date",
        y=measure,
        color="party",
        color_discrete_map=colors,
        custom_data=["party"],
    )
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{x|%a %d %b %Y}<br>%{y:,.0f}<extra></extra>")
    _add_partial_days(fig, party_daily, "party", measure, colors, tz, "%{y:,.0f}")
    _day_axis(fig, party_daily)
    return _finish(fig, title, "Local date", label)
