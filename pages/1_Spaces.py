"""Spaces: every Space ranked, the record progression, reach by party, and one Space beside its benchmarks."""

import polars as pl
import streamlit as st

from pulse.charts import spaces as space_charts
from pulse.charts.theme import OTHER_COLOR
from pulse.escape import markdown_text
from pulse.metrics.spaces import (
    record_progression,
    space_audience,
    space_benchmarks,
    space_labels,
    space_metrics,
    space_ranking,
    space_reach_by_party,
)
from pulse.ui import claims, labels, session, url_state, widgets

session.setup_page("Spaces")
st.title("Spaces")
st.caption("How big each X Space was, which ones broke the all-time record, and how one Space compares.")

data, filters, tables = session.page_data()

spaces = tables.spaces
if spaces.is_empty():
    widgets.stop_with("No Space matches the filters. Pick at least one party and a date range with Spaces.")

ranking = space_ranking(spaces)
best = ranking.row(0, named=True)
cards = st.columns(4)
cards[0].metric("Spaces", labels.number(spaces.height), border=True)
cards[1].metric(
    "Total reach", labels.number(spaces["total_listeners"].sum()), border=True, help="Sum of total listeners"
)
cards[2].metric(
    "Largest Space",
    labels.number(best["total_listeners"]),
    border=True,
    help=f"{markdown_text(best['party'])} · {markdown_text(best['host'])}",
)
cards[3].metric(
    "Listener-minutes", labels.number(spaces["listener_minutes"].sum()), border=True, help="Average × minutes"
)

every_space = space_metrics(data.spaces)
progression = record_progression(every_space, filters, data.tz)
widgets.chart(space_charts.space_records(progression, spaces, data.colors, data.tz), "space_records", progression)
st.caption("A record is measured against every earlier Space of any party, so the party filter does not change it.")

widgets.chart(space_charts.space_overperformance(spaces, data.colors, data.tz), "space_overperformance", spaces)
st.caption(
    "A Space's **usual** is its party's benchmark before it: the mean total of the party's (up to) 20 most recent "
    "earlier Spaces, without the lowest and highest quarter. Spaces with fewer than 4 earlier ones have none."
)

reach = space_reach_by_party(spaces)
widgets.chart(space_charts.reach_by_party(reach, data.colors), "space_reach_by_party", reach)

st.subheader("Every Space, largest first")
widgets.table(ranking, "spaces_ranked", data.tz, height=420)

st.subheader("One Space in detail")
space_id = url_state.choose_id("Space", space_labels(ranking, data.tz), "space", best["space_id"], "Spaces")
claims.mention(session.claims_ledger(data), space_id)  # what was claimed about it, and the verdict
benchmarks = space_benchmarks(every_space, space_id)
widgets.benchmark_cards(benchmarks)
usual = ranking.row(by_predicate=pl.col("space_id") == space_id, named=True)
cards = st.columns(2)
cards[0].metric(
    "Against its party's usual",
    markdown_text(labels.usual_multiple(usual["overperforming"], usual["party"])),
    help=labels.USUAL_HELP,
    border=True,
)
cards[1].metric("The party's usual before it", labels.number(usual["benchmark_listeners"]), border=True)
widgets.table(benchmarks, "space_benchmarks", data.tz)

audience = space_audience(data.space_samples, space_id)
if not audience.is_empty():  # sampled while live (space_samples); most Spaces have none
    color = data.colors.get(usual["party"], OTHER_COLOR)
    widgets.chart(space_charts.space_audience(audience, data.tz, color), "space_audience", audience)
widgets.how_computed()
