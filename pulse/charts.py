"""Every chart of the dashboard: one template, party colours, builders with no side effects.

A builder takes data first and plain choices after, calls plotly express, adjusts the figure and returns it.
"""

import plotly.express as px
import plotly.graph_objects as go
import plotly.io as pio
import polars as pl

TEMPLATE = "pulse"
FONT = "Source Sans Pro, Noto Sans, Noto Nastaliq Urdu, Arial, sans-serif"

pio.templates[TEMPLATE] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=13, color="#262730"),
        title=dict(font=dict(size=16), x=0, xanchor="left"),
        separators=".,",
        hovermode="closest",
        hoverlabel=dict(font=dict(family=FONT, size=13)),
        margin=dict(l=10, r=10, t=90, b=10),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0, title_text=""),
        xaxis=dict(gridcolor="#EEF0F4", zeroline=False, automargin=True),
        yaxis=dict(gridcolor="#EEF0F4", zeroline=False, automargin=True, tickformat=",", rangemode="tozero"),
        plot_bgcolor="white",
        paper_bgcolor="white",
    ),
    data=dict(scatter=[go.Scatter(line=dict(width=2))]),
)
pio.templates.default = "plotly_white+" + TEMPLATE


def _finish(fig: go.Figure, title: str, x: str, y: str) -> go.Figure:
    fig.update_layout(
        title_text=title, xaxis_title=x, yaxis_title=y, legend_title_text="", template="plotly_white+" + TEMPLATE
    )
    return fig


def party_volume(
    party_daily: pl.DataFrame,
    spaces: pl.DataFrame,
    rallies: pl.DataFrame,
    colors: dict[str, str],
    tz: str,
    log_scale: bool = False,
) -> go.Figure:
    """Daily tweets per party with each Space and rally marked on its party's line; record Spaces labelled."""
    fig = px.line(
        party_daily,
        x="date",
        y="tweets",
        color="party",
        color_discrete_map=colors,
        custom_data=["party"],
    )
    fig.update_traces(hovertemplate="%{customdata[0]}<br>%{x|%a %d %b %Y}<br>%{y:,} tweets<extra></extra>")
    on_line = party_daily.select("party", "date", "tweets")
    space_marks = (
        spaces.with_columns(pl.col("started_at").dt.convert_time_zone(tz).dt.date().alias("date"))
        .join(on_line, on=["party", "date"], how="inner")
        .sort("started_at")
    )
    for party, group in space_marks.group_by("party", maintain_order=True):
        fig.add_scatter(
            x=group["date"],
            y=group["tweets"],
            mode="markers",
            name=f"{party[0]} Space",
            legendgroup="spaces",
            showlegend=False,
            marker=dict(symbol="diamond", size=11, color=colors.get(party[0]), line=dict(color="white", width=1)),
            customdata=group.select("host", "total_listeners").rows(),
            hovertemplate=(
                f"{party[0]} Space · %{{customdata[0]}}<br>%{{x|%d %b %Y}}<br>"
                "%{customdata[1]:,} listeners<extra></extra>"
            ),
        )
    rally_marks = (
        rallies.with_columns(pl.col("starts_at").dt.convert_time_zone(tz).dt.date().alias("date"))
        .join(on_line, on=["party", "date"], how="inner")
        .sort("starts_at")
    )
    for party, group in rally_marks.group_by("party", maintain_order=True):
        fig.add_scatter(
            x=group["date"],
            y=group["tweets"],
            mode="markers",
            name=f"{party[0]} rally",
            showlegend=False,
            marker=dict(symbol="star", size=15, color=colors.get(party[0]), line=dict(color="#262730", width=1)),
            customdata=group.select("city").rows(),
            hovertemplate=f"{party[0]} rally · %{{customdata[0]}}<br>%{{x|%d %b %Y}}<extra></extra>",
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
    _add_marker_legend(fig)
    if log_scale:
        fig.update_yaxes(type="log", rangemode="normal")
    return _finish(fig, "Daily tweets per party, with Spaces (◆) and rallies (★)", "Local date", "Tweets per day")


def _add_marker_legend(fig: go.Figure) -> None:
    """Legend entries explaining the marker symbols, drawn in neutral grey."""
    for symbol, label in (("diamond", "Space"), ("star", "Rally")):
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=label,
            marker=dict(symbol=symbol, size=11, color="#8A8F98"),
            hoverinfo="skip",
        )
