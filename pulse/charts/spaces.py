"""Spaces charts: the record progression, reach per party, one Space's audience and Spaces against their usual."""

import math

import plotly.express as px
import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import OTHER_COLOR, RECORD_COLOR, as_text, finish, local_time, neutral_legend, no_data
from pulse.escape import plotly_columns, plotly_text


def space_records(
    progression: pl.DataFrame, spaces: pl.DataFrame, colors: dict[str, str], tz: str, end: object = None
) -> go.Figure:
    """Every Space's audience as faint dots, the all-time record as a step line, each new record labelled
    with how many times the previous record it was."""
    progression, spaces, colors = plotly_columns(progression), plotly_columns(spaces), as_text(colors)
    title = "Record progression: each new largest Space, and how far it beat the previous record"
    if progression.is_empty():
        return no_data(title)
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
    neutral_legend(fig, (("circle", "Space"),))
    fig.update_layout(height=460)
    return finish(fig, title, "Start of the Space (local time)", "Total listeners")


def reach_by_party(reach: pl.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Total listeners of each party's Spaces as horizontal bars, the largest on top."""
    reach, colors = plotly_columns(reach), as_text(colors)
    title = "Spaces reach by party (sum of total listeners)"
    if reach.is_empty():
        return no_data(title)
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
    return finish(fig, title, "Listeners (sum over the party's Spaces)", "")


def space_audience(audience: pl.DataFrame, tz: str, color: str) -> go.Figure:
    """The sampled number of listeners of one Space over its lifetime."""
    fig = px.line(local_time(audience, tz, "at"), x="at", y="participants", markers=True)
    fig.update_traces(line_color=color, hovertemplate="%{x|%H:%M}<br>%{y:,} listening<extra></extra>")
    return finish(fig, "Audience during the Space", "Local time", "Listeners at that moment")


def space_overperformance(spaces: pl.DataFrame, colors: dict[str, str], tz: str) -> go.Figure:
    """Each Space's total listeners as a multiple of its party's usual (log scale), 1× marked."""
    title = "Spaces against their party's usual (× its benchmark)"
    rated = local_time(spaces.filter(pl.col("overperforming").is_not_null()), tz, "started_at")
    if rated.is_empty():
        return no_data(title)
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
    return finish(fig, title, "Start of the Space (local time)", "Total listeners ÷ party's usual")
