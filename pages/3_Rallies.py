"""Rallies: where and how big (reported on the ground, measured online), when each was announced and moved, and how
much each one moved the party's volume."""

import polars as pl
import streamlit as st

from pulse.charts.rallies import event_lift, rally_map, rally_timeline
from pulse.metrics.rallies import largest_crowds, rallies_in, rally_headline, rally_history, rally_lift
from pulse.ui import labels, session, streams, url_state, widgets

session.setup_page("Rallies")
st.title("Rallies")
st.caption(
    "Where each party rallied, the crowd it reported and the audience its live streams measured, how far ahead it "
    "announced, what it rescheduled, and what the rally did online."
)

data, filters, tables = session.page_data()

rallies = rallies_in(data.rallies, filters, data.tz)
if rallies.is_empty():
    widgets.stop_with("No rally matches the filters. Pick at least one party and a date range with rallies.")

history = rally_history(data.rallies, rallies["rally_id"])
lift = rally_lift(tables.events, data.rallies)
headline = rally_headline(rallies, history, lift)
cards = st.columns(4)
cards[0].metric("Rallies", labels.number(headline.rallies), border=True)
cards[1].metric(
    "Reported crowds",
    labels.number(headline.reported_crowds),
    border=True,
    help=f"Sum of reported attendance; {headline.without_figure} rallies without a figure",
)
cards[2].metric(
    "Rescheduled",
    labels.number(headline.rescheduled),
    border=True,
    help="Rallies whose date was moved after it was first announced",
)
cards[3].metric(
    "Median lift",
    labels.number(headline.median_lift, 1, "×"),
    border=True,
    help="Party tweets in the 24 h after a rally, against its usual day",
)

map_column, crowd_column = st.columns([3, 2])
with map_column:
    widgets.chart(rally_map(rallies, data.colors, data.tz), "rally_map", None)  # rallies_current has its data
with crowd_column:
    st.markdown("**Largest reported crowds**")
    crowds = largest_crowds(rallies)
    widgets.table(crowds, "rally_crowds", data.tz, height=460)
streams.rally_online_audience(data, rallies, tables.streams)  # reported crowds beside measured online viewers
widgets.chart(rally_timeline(history, data.colors, data.tz), "rally_timeline", history)
st.caption(
    "Lead time runs from the first announcement to the rally. Each later announcement moved the date: "
    "✕ marks the dates given up."
)

kinds = {"Rallies": "rally", "Announcements": "rally_announcement"}
kind = url_state.choose("Lift of", list(kinds), "lift", "Rallies", "event kinds")
shown = lift.filter(pl.col("event_type") == kinds[kind])
if shown.is_empty():
    widgets.empty_state(f"No {kind.lower()} fall in the selected dates, so there is no lift to show.")
else:
    widgets.chart(event_lift(shown, data.colors, data.tz), f"lift_{kinds[kind]}", None)  # the table's data
    widgets.table(shown, f"lift_{kinds[kind]}", data.tz)

st.subheader("Every rally as it now stands")
widgets.table(rallies, "rallies_current", data.tz)
widgets.how_computed()
