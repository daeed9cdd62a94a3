"""The claims chart: what each claim said against what the data measured as of it, in the party's colour, with the
verdict's colour on the line between them (the same colours as the ledger's badges)."""

import plotly.graph_objects as go
import polars as pl

from pulse.charts.theme import OTHER_COLOR, ROW_PX, as_text, finish, no_data
from pulse.escape import plotly_columns
from pulse.metrics.claims import ACCURATE, OVERSTATED, UNDERSTATED, UNVERIFIABLE, VERDICT_LABELS

# The badge colours of Streamlit's st.badge (green, red, orange, gray), so a verdict looks the same on every view.
VERDICT_COLORS = {ACCURATE: "#21C354", OVERSTATED: "#FF4B4B", UNDERSTATED: "#FFA421", UNVERIFIABLE: "#A3A8B8"}
BADGE_COLORS = {ACCURATE: "green", OVERSTATED: "red", UNDERSTATED: "orange", UNVERIFIABLE: "gray"}
CHART_HEIGHT_MIN = 260


def _hover(what: str) -> str:
    """A claim's hover: its id and claimant, the value, and the reason (customdata: id, claimant, text, reason)."""
    return f"<b>%{{customdata[0]}}</b> · %{{customdata[1]}}<br>{what} %{{x:,}}<br>%{{customdata[3]}}<extra></extra>"


def claim_label(verdicts: pl.DataFrame) -> pl.Expr:
    """A claim's row on the chart: its id and verdict ('c-002 · Overstated')."""
    return pl.format("{} · {}", pl.col("claim_id"), pl.col("verdict").replace_strict(VERDICT_LABELS))


def claimed_vs_measured(verdicts: pl.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Per claim, a hollow marker at the claimed value and a filled one at the measure, joined by a line in the
    verdict's colour, on a log axis (claims run from a record multiple of 10 to millions of tweets)."""
    title = "Claimed against measured, as of each claim"
    shown = plotly_columns(verdicts).with_columns(claim_label(verdicts).alias("__label"))
    colors = as_text(colors)
    if shown.is_empty():
        return no_data(title)
    fig = go.Figure()
    for row in shown.iter_rows(named=True):
        claimed, measured = row["claimed_value"], row["measured_value"]
        points = [v for v in (claimed, measured) if v is not None and v > 0]
        if len(points) == 2:
            fig.add_scatter(
                x=points,
                y=[row["__label"]] * 2,
                mode="lines",
                line=dict(color=VERDICT_COLORS[row["verdict"]], width=4),
                showlegend=False,
                hoverinfo="skip",
            )
    for (party,), group in shown.group_by("party", maintain_order=True):
        color = colors.get(party, OTHER_COLOR) if party is not None else OTHER_COLOR
        name = party if party is not None else "No party"
        hover = group.select("claim_id", "claimant", "claim_text", "reason").rows()
        # The claimed figure as an open ring, the measured one as a dot: one trace each, in the party's colour.
        marks = (("claimed", dict(symbol="circle-open", size=13, line=dict(width=3))), ("measured", dict(size=11)))
        for what, marker in marks:
            fig.add_scatter(
                x=group[f"{what}_value"],
                y=group["__label"],
                mode="markers",
                name=f"{name}: {what}",
                legendgroup=name,
                marker=dict(marker, color=color),
                customdata=hover,
                hovertemplate=_hover(what),
            )
    # Powers of ten only, short (10k, 1M): a log axis over 44,000 to 7 million crowds its default ticks.
    fig.update_xaxes(type="log", dtick=1, tickformat="~s")
    fig.update_yaxes(autorange="reversed", type="category", categoryorder="array", categoryarray=shown["__label"])
    fig.update_layout(height=max(CHART_HEIGHT_MIN, 120 + ROW_PX * shown.height))
    return finish(fig, title, "Value, log scale", "")  # each claim in its own unit: the hover names it
