"""Overview: what happened in the last 24 hours, each party's last 7 days, the volume over time, the summary."""

import streamlit as st

from pulse.charts import parties as party_charts
from pulse.metrics.hashtags import party_hourly
from pulse.metrics.rallies import current_rallies
from pulse.metrics.summary import today
from pulse.ui import claims, labels, live, session, url_state, widgets

session.setup_page("Overview")
st.title("Campaign Pulse")
st.caption("Reach of each party's Spaces, hashtags and rallies — at a glance, and every number as a CSV.")
live.live_panel()  # whether `pulse watch` keeps this data fresh, once it has run on it; refreshes itself

data, filters, tables = session.page_data()

summary = tables.party_summary
if summary.is_empty():
    widgets.stop_with("No party matches the filters. Pick at least one party and a date range with data.")
end, tz = tables.as_of, data.tz


if end is not None:
    st.subheader(f"Last 24 hours · to {labels.as_of_label(end, tz)}", anchor="today")
    st.caption(
        f"Tweets in the 24 h {labels.window_label(end, 24, tz)} and in the 7 days {labels.window_label(end, 168, tz)}, "
        f"each against the same length before; the leader first. {labels.AS_OF_HELP}"
    )
    widgets.recent_by_party(summary)
    st.page_link("pages/4_Compare.py", label="Compare the parties", icon=":material/compare_arrows:")
    now = today(data, filters, end)
    hour, space, rally = st.columns(3)
    with hour.container(border=True):
        if (best := now.strongest) is not None:
            ratio = best["ratio"]
            st.metric(
                "Strongest hour, last 24 h",
                f"{best['tweets']:,} tweets",
                delta=None if ratio is None else f"{ratio:.1f}× its 12-hour mean",
                delta_arrow="off",
            )
            st.text(f"#{best['hashtag']} · {best['party']} · {labels.hour_label(best['period_start'], tz)}")
            st.page_link(
                "pages/2_Hashtags.py",
                label="Hourly on Hashtags",
                icon=":material/tag:",
                query_params={"hashtag": best["hashtag"], "resolution": "Hourly", "period": "Last 7 days"},
            )
        else:
            st.text("No tweets in the last 24 hours.")
    with space.container(border=True):
        if now.space is not None:
            widgets.latest_space(now.space, tz)
            claims.mention(session.claims_ledger(data), now.space["space_id"])  # a claim about it, if any
        else:
            st.text("No Space yet.")
    with rally.container(border=True):
        if (shown := now.rally) is not None:
            row = shown.row
            st.metric("Next rally" if shown.upcoming else "Latest rally", row["city"], border=False)
            st.text(f"{row['party']} · {labels.day_label(row['starts_at'], tz)}")
            st.page_link("pages/3_Rallies.py", label="On Rallies", icon=":material/campaign:")
        else:
            st.text("No rally announced.")

if tables.party_daily.is_empty():
    widgets.empty_state("No hashtag data in the selected range.")
else:
    log_scale = st.toggle("Logarithmic scale", key="overview-log", help="Compare small parties with large ones")
    if url_state.is_short(filters):
        hourly = party_hourly(data.hashtags.counts, filters, tz)
        widgets.chart(party_charts.party_hourly(hourly, data.colors, tz, log_scale), "party_hourly", hourly)
    else:
        figure = party_charts.party_volume(
            tables.party_daily, tables.spaces, current_rallies(data.rallies), data.colors, tz, log_scale
        )
        widgets.chart(figure, "party_daily", tables.party_daily)

st.subheader("Party summary")
widgets.table(summary, "party_summary", tz)
widgets.how_computed()
