"""Who drives a hashtag: how much of its tweets come from its most active authors."""

import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import OTHER_COLOR, finish, no_data, tint
from pulse.escape import plotly_text

CONCENTRATION_TINTS = {1: 0.0, 10: 0.4, 50: 0.7}  # the top 1 % in the party's colour, wider groups lighter


def author_concentration(shares: pl.DataFrame, key: str, colors: dict[str, str]) -> go.Figure:
    """Per hashtag (or campaign) and party: the share of its tweets by its top 1 %, 10 % and 50 % of authors."""
    title = "Share of tweets by the most active authors"
    if shares.is_empty():
        return no_data(title)
    rows = shares.with_columns(pl.format("{} · {}", pl.col(key), "party").alias("__row"))
    order = rows["__row"].unique(maintain_order=True).to_list()
    fig = go.Figure()
    for top, amount in reversed(CONCENTRATION_TINTS.items()):  # plotly stacks a group's bars upwards: 1 % on top
        level = rows.filter(pl.col("top") == top)
        fig.add_bar(
            x=level["share_pct"],
            y=[plotly_text(r) for r in level["__row"]],  # hashtags are data: no markup in plotly's labels
            orientation="h",
            name=f"top {top} % of authors",
            marker=dict(color=[tint(colors.get(p, OTHER_COLOR), amount) for p in level["party"]]),
            hovertemplate=f"<b>%{{y}}</b><br>top {top} % of authors: %{{x:.1f}}% of tweets<extra></extra>",
            showlegend=False,
        )
    for top, amount in CONCENTRATION_TINTS.items():
        # The bars take each party's colour: the legend says which shade is which group, in grey.
        fig.add_scatter(
            x=[None],
            y=[None],
            mode="markers",
            name=f"top {top} % of authors",
            hoverinfo="skip",
            marker=dict(symbol="square", size=12, color=tint("#5A5F68", amount)),
        )
    fig.update_layout(barmode="group", height=160 + 46 * len(order))
    fig.update_yaxes(
        categoryorder="array",
        categoryarray=[plotly_text(r) for r in order][::-1],
        tickformat="",
        rangemode="normal",
    )
    fig.update_xaxes(range=[0, 100], ticksuffix="%", tickformat=".0f")
    return finish(fig, title, "Share of the tweets", "")
