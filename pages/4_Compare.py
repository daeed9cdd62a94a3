"""Compare: two or more parties side by side, two or more events on one aligned time axis, or the live audiences of
Spaces and streams on one time axis."""

import polars as pl
import streamlit as st

from pulse.charts.compare import aligned_windows
from pulse.charts.parties import party_trend
from pulse.charts.theme import series_styles
from pulse.metrics.events import describe_events, headline_events, window_summary
from pulse.metrics.rallies import rallies_in
from pulse.metrics.summary import head_to_head
from pulse.ui import labels, session, streams, url_state, widgets

session.setup_page("Compare")
st.title("Compare")
st.caption("Who is winning the week, and which event moved its party most: side by side, on the same scale.")

data, filters, tables = session.page_data()

modes = ["Parties", "Events", "Live audiences"]
mode = url_state.choose("Compare", modes, "compare", "Parties", "comparisons")
if mode == "Parties":
    summary = tables.party_summary.sort("tweets_7d", "tweets", "party", descending=[True, True, False])
    ranked = summary["party"].to_list()
    picked = url_state.choose("Parties", ranked, "versus", ranked[:2], "parties", multi=True, max_selections=5)
    if len(picked) < 2:
        widgets.stop_with("Pick at least two parties to compare (and keep them in the sidebar's party filter).")
    week = "–" if tables.as_of is None else labels.window_label(tables.as_of, 168, data.tz)
    st.caption(
        f"**The week**: the 7 days {week}, against the 7 days before. **Selected range**: "
        f"{labels.range_label(filters, data.tz)} (the sidebar's period). {labels.AS_OF_HELP}"
    )
    # Every number at once first, then the trend; one scorecard per party after them (on a phone, each is a screen).
    st.subheader("Head to head")
    widgets.head_to_head(head_to_head(summary, picked), picked)
    trend = tables.party_daily.filter(pl.col("party").is_in(picked))
    widgets.chart(party_trend(trend, data.colors, data.tz), "party_trend", trend)
    for party in picked:
        row = summary.row(by_predicate=pl.col("party") == party, named=True)
        with st.container(border=True):
            widgets.party_heading(data, party)
            cards = st.columns(5)
            growth = row["growth_7d_pct"]
            cards[0].metric(
                "Tweets, the week",
                labels.number(row["tweets_7d"]),
                delta=None if growth is None else labels.growth(growth),
                help=f"{labels.number(row['tweets_prev_7d'])} tweets in the 7 days before",
            )
            cards[1].metric("Tweets, selected range", labels.number(row["tweets"]))
            cards[2].metric("Share of voice, range", labels.number(row["share_of_voice_pct"], 1, "%"))
            cards[3].metric("Spaces reach, range", labels.number(row["spaces_reach"]), help="Sum of total listeners")
            cards[4].metric("Rallies, range", labels.number(row["rallies"]))
elif mode == "Live audiences":
    streams.live_audiences_view(data, tables.spaces, tables.streams)  # Spaces and YouTube streams, one time axis
else:
    described = describe_events(tables.events, data.spaces, data.rallies, data.tz)
    if described.is_empty():
        widgets.stop_with("No event matches the filters. Pick at least one party and a date range with events.")
    labels = dict(described.select("event", "label").iter_rows())
    default = headline_events(described, tables.spaces, rallies_in(data.rallies, filters, data.tz))
    picked = url_state.choose_id("Events", labels, "events", default, "events", multi=True)
    hourly = url_state.choose("Resolution", ["Hourly", "Daily"], "window", "Hourly", "resolutions") == "Hourly"
    if len(picked) < 2:
        widgets.stop_with("Pick at least two events to compare.")
    hourly_windows = session.aligned_windows(data, picked, True)  # the head-to-head table reads hours either way
    windows = hourly_windows if hourly else session.aligned_windows(data, picked, False)
    styles = series_styles(windows, "label", data.colors)
    widgets.chart(aligned_windows(windows, styles, hourly), "event_windows", windows)
    st.subheader("Head to head")
    chosen = described.filter(pl.col("event").is_in(picked))
    widgets.table(window_summary(hourly_windows, chosen), "events_head_to_head", data.tz)
widgets.how_computed()
