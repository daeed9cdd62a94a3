"""The charts' one look: the plotly template, the colours and the helpers every chart builder shares.

Importing any chart module registers the template, since each of them imports this one.
"""

import textwrap
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

from pulse.escape import plotly_text
from pulse.metrics.recent import day_hours

TEMPLATE = "pulse"
FONT = "Source Sans Pro, Noto Sans, Noto Nastaliq Urdu, Arial, sans-serif"
TEXT_COLOR = "#262730"

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color=TEXT_COLOR),
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

# The label of each measure of a daily series: the hashtag and party charts name their axes with it.
MEASURES = {
    "tweets": "Tweets per day",
    "rolling_7d": "7-day average of tweets per day",
    "cumulative": "Cumulative tweets",
    "unique_authors": "Unique authors per day",
}


def finish(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
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


# ---- Shared helpers -----------------------------------------------------------------------------------------------

PARTIAL_MARKER = dict(symbol="circle-open", size=10, line=dict(width=2))


def solid(daily: pl.DataFrame, y: str) -> pl.DataFrame:
    """The daily series without its partial days: the solid line stops where the data covers whole days."""
    if "partial_day" not in daily.columns:
        return daily
    return daily.with_columns(pl.when(~pl.col("partial_day")).then(pl.col(y)).alias(y))


def add_partial_days(
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


def day_axis(fig: go.Figure, daily: pl.DataFrame) -> None:
    """A few days: one tick per day, named as a day (plotly would otherwise count hours, even milliseconds)."""
    if daily["date"].n_unique() <= 7:
        fig.update_xaxes(dtick=86_400_000, tickformat="%-d %b")


def hour_axis(fig: go.Figure) -> None:
    """Hours with the day under them: '14:00 / 31 May'."""
    fig.update_xaxes(tickformat="%H:%M<br>%-d %b")


OTHER_COLOR = "#C9CDD3"  # "Other parties" and other neutral context
RECORD_COLOR = "#262730"


def local_time(frame: pl.DataFrame, tz: str, *columns: str) -> pl.DataFrame:
    """Times as local wall-clock times: plotly draws a time as written and ignores its zone."""
    return frame.with_columns(pl.col(c).dt.convert_time_zone(tz).dt.replace_time_zone(None) for c in columns)


def tint(hex_color: str, amount: float) -> str:
    """`hex_color` mixed with white (`amount` > 0) or black (< 0): 0 is the colour, 1 white, -1 black."""
    rgb = _rgb(hex_color)
    toward = 255 if amount > 0 else 0
    return "#" + "".join(f"{round(c + (toward - c) * abs(amount)):02X}" for c in rgb)


def text_on(hex_color: str) -> str:
    """The text colour that reads best on `hex_color`: white or the template's dark grey (WCAG contrast)."""

    def luminance(color: str) -> float:
        linear = [(c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4) for c in _rgb(color, 1 / 255)]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    dark, background = luminance(TEXT_COLOR), luminance(hex_color)
    return "#FFFFFF" if 1.05 / (background + 0.05) >= (background + 0.05) / (dark + 0.05) else TEXT_COLOR


def _rgb(hex_color: str, scale: float = 1.0) -> list[float]:
    return [int(hex_color[i : i + 2], 16) * scale for i in (1, 3, 5)]


class LineStyle(NamedTuple):
    """How one line of a party's family is drawn: its shade of the party's colour, its dash and its marker."""

    color: str
    dash: str = "solid"
    symbol: str = "circle"


# A party's lines, in order: a shade (white + or black - mixed in), a dash and a marker each, so that two of them
# differ in print and to a colour-blind reader as well as by shade. "dot" is left out: it marks partial days.
SHADES = (0.0, 0.5, -0.4, 0.3, -0.2, 0.65)
DASHES = ("solid", "dash", "longdash", "dashdot", "longdashdot")
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "star", "cross", "triangle-down", "hexagon")
MARKERS_PER_LINE = 14  # markers drawn along a line (plotly's maxdisplayed): enough to tell it, not a stripe


def line_name(key: str) -> pl.Expr:
    """A line's name: its `key`, and its party after it when the key is drawn for several parties (a hashtag that
    every party uses), so that each (key, party) is a line of its own."""
    shared = pl.col("party").n_unique().over(key) > 1
    return pl.when(shared).then(pl.format("{} · {}", pl.col(key), pl.col("party"))).otherwise(pl.col(key))


def series_styles(series: pl.DataFrame, key: str, colors: dict[str, str]) -> dict[str, LineStyle]:
    """A style per series (hashtag, campaign or event; by line_name) of its party's family: the first of a party
    in the party's colour, solid, with circles; the next in other shades, dashes and markers. `series` has `key`
    and party, in order; a series of no party (the rest summed, "Other hashtags") is grey."""
    styles = {}
    lines = series.select(line_name(key).alias(key), "party").unique(maintain_order=True)
    for (party,), group in lines.group_by("party", maintain_order=True):
        for i, name in enumerate(group[key].to_list()):
            if party is None:
                styles[name] = LineStyle(OTHER_COLOR)
                continue
            shade = tint(colors.get(party, OTHER_COLOR), SHADES[i % len(SHADES)])
            styles[name] = LineStyle(shade, DASHES[i % len(DASHES)], SYMBOLS[i % len(SYMBOLS)])
    return styles


def styled_lines(fig: go.Figure, styles: dict[str, LineStyle]) -> None:
    """Give each line of `fig` named in `styles` its dash and markers (a few along the line, not one per point:
    SVG lines, as px.line(render_mode="svg") draws them)."""
    for trace in fig.data:
        if (style := styles.get(trace.name)) is not None:
            trace.update(
                mode="lines+markers",
                line=dict(color=style.color, dash=style.dash),
                marker=dict(color=style.color, symbol=style.symbol, size=7, maxdisplayed=MARKERS_PER_LINE),
            )


def neutral_legend(fig: go.Figure, entries: tuple[tuple[str, str], ...], geo: bool = False) -> None:
    """Legend entries for marker symbols in neutral grey (the markers themselves are in party colours)."""
    for symbol, label in entries:
        marker = dict(symbol=symbol, size=11, color="#8A8F98", line=dict(color="#8A8F98", width=2))
        if geo:
            fig.add_scattergeo(lon=[None], lat=[None], mode="markers", name=label, hoverinfo="skip", marker=marker)
        else:
            fig.add_scatter(x=[None], y=[None], mode="markers", name=label, hoverinfo="skip", marker=marker)


def as_text(colors: dict[str, str]) -> dict[str, str]:
    """A colour map keyed by names as plotly_columns writes them: data is text in a figure, never markup."""
    return {plotly_text(name): color for name, color in colors.items()}


def no_data(title: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text="No data for these filters", showarrow=False, font=dict(size=15, color="#8A8F98"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish(fig, title, "", "")


def for_screen(fig: go.Figure, height: int, dark: bool) -> go.Figure:
    """A chart for a wall screen (pulse.ui.display): a set height, text legible across a room, no title (the panel
    says what it shows), and on a dark screen light text on the page's own background."""
    fig.update_layout(
        height=height,
        title_text="",
        xaxis_title=None,  # time, and listeners: the panel's own words say so in larger type
        yaxis_title=None,
        font_size=18,
        margin=dict(t=10, b=10, l=10, r=10),
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        showlegend=False,
    )
    if dark:
        fig.update_layout(font_color="#FAFAFA")
        fig.update_xaxes(gridcolor="#30343C", linecolor="#30343C")
        fig.update_yaxes(gridcolor="#30343C", linecolor="#30343C")
    return fig
