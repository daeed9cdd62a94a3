"""Overview: each party's reach this week, the volume over time with its Spaces and rallies, the summary."""

import streamlit as st

from pulse import charts, ui
from pulse.metrics import current_rallies, week_totals

ui.setup_page("Overview")
st.title("Campaign Pulse")
st.caption("Reach of each party's Spaces, hashtags and rallies — at a glance, and every number as a CSV.")
ui.live_panel()  # shows only while `pulse watch` runs on this data, and refreshes itself

data, filters, tables = ui.page_data()

summary = tables.party_summary
if summary.is_empty():
    ui.stop_with("No party matches the filters. Pick at least one party and a date range with data.")

st.subheader(
    "Tweets in the last 7 days, by party",
    help="The 7 local days ending at the last date in range; the delta compares them with the 7 days before.",
)
names = data.names
weeks = week_totals(tables.party_daily).join(summary.select("party", "growth_7d_pct"), on="party")
for row_start in range(0, weeks.height, 5):
    cards = st.columns(5)
    for card, party in zip(cards, weeks.slice(row_start, 5).iter_rows(named=True), strict=False):
        growth = party["growth_7d_pct"]
        card.metric(
            party["party"],
            f"{party['this_week']:,}",
            delta=None if growth is None else f"{growth:+.1f}%",
            help=f"{names.get(party['party'], party['party'])}: {party['last_week']:,} tweets in the 7 days before",
            border=True,
        )

if tables.party_daily.is_empty():
    ui.empty_state("No hashtag data in the selected range.")
else:
    log_scale = st.toggle("Logarithmic scale", key="overview-log", help="Compare small parties with large ones")
    figure = charts.party_volume(
        tables.party_daily, tables.spaces, current_rallies(data.rallies), data.colors, data.tz, log_scale
    )
    ui.chart(figure, "party_daily", tables.party_daily)

st.subheader("Party summary")
ui.table(summary, "party_summary", data.tz)
ui.how_computed()
