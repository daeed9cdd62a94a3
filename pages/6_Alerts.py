"""Alerts: what `pulse watch` raised (spikes, Space records, rally news), newest first, and whether it was sent."""

import streamlit as st

from pulse.config import data_dir, time_zone
from pulse.data.store import Store
from pulse.ui import live, session, url_state, widgets
from pulse.watch import alerts

session.setup_page("Alerts")
st.title("Alerts")
st.caption(
    "What the watcher raised: hashtag spikes, Space records and rally news, newest first, and whether each "
    "reached the team's chat. `python -m pulse watch` raises them (see the README)."
)
live.watcher_health()  # whether the watcher still collects and sends, refreshing itself

with widgets.user_errors():
    raised = alerts.load_alerts(Store(data_dir()))
if raised.is_empty():
    widgets.stop_with("No alerts yet. They appear here as `python -m pulse watch` raises them.")

left, right = st.columns(2)
with left:
    kinds = url_state.choose_id(
        "Kind", alerts.KIND_LABELS, "alert-kind", [], "kinds", multi=True, placeholder="All kinds"
    )
with right:
    parties = sorted(raised["party"].drop_nulls().unique().to_list())
    chosen = url_state.choose("Party", parties, "alert-party", [], "parties", multi=True, placeholder="All parties")
shown = alerts.filtered(raised, kinds, chosen).select(alerts.SHOWN_COLUMNS)
tz = time_zone()

live.alert_cards(shown, tz)  # a phone shows the newest alerts first, as cards; a wider screen, the table below
cards = st.columns(3)
cards[0].metric("Alerts shown", f"{shown.height:,}", border=True)
cards[1].metric("Delivered", f"{shown['delivered'].sum():,}", border=True)
cards[2].metric("Waiting to be sent", f"{shown.height - shown['delivered'].sum():,}", border=True)
live.alert_table(shown, tz)
