"""Hashtags: volume per hashtag or campaign (daily or hourly), spike days, the top tags per party, share of voice."""

from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from pulse.charts.hashtags import hashtag_volume, share_of_voice_area
from pulse.charts.theme import series_styles
from pulse.metrics import hashtags
from pulse.metrics.hashtags import SPIKE_FACTOR, SPIKE_MIN_TWEETS, SPIKE_WINDOW_DAYS, share_of_voice
from pulse.ui import authors, labels, session, url_state, widgets

session.setup_page("Hashtags")
st.title("Hashtags")
st.caption("Which hashtags carry each party, how fast they grow, and on which days they spiked.")

LINES = {"Hashtags": "hashtag", "Campaigns": "campaign"}
MEASURES = {"Tweets": "tweets", "7-day average": "rolling_7d", "Cumulative": "cumulative"}
controls = st.columns([1.2, 1, 3], vertical_alignment="bottom")
with controls[0]:
    lines = url_state.choose(
        "Lines",
        list(LINES),
        "lines",
        "Hashtags",
        "views",
        help="A campaign merges the spellings and scripts of one hashtag (data/hashtag_groups.csv).",
    )
by = LINES[lines]
data, filters, tables = session.page_data(hashtags=by)  # the sidebar picks hashtags or whole campaigns
short = url_state.is_short(filters)  # a day or two: by the hour, whatever the link says
with controls[1]:
    resolution_help = "A range of a day or two is shown by the hour." if short else None
    picked = url_state.choose(
        "Resolution", ["Daily", "Hourly"], "resolution", "Daily", "resolutions", help=resolution_help
    )
    hourly = short or picked == "Hourly"
with controls[2]:
    measure = url_state.choose("Measure", list(MEASURES), "measure", "Tweets", "measures", disabled=hourly)
resolution = "hourly" if hourly else "daily"

series = session.hashtag_series(data, filters, by)
if series.daily.is_empty():
    widgets.stop_with("No hashtag matches the filters. Pick at least one party, hashtag and a date range with tweets.")

summary = series.summary
top = summary.sort("tweets", descending=True).row(0, named=True)
busiest = summary.sort("peak_hour_tweets", descending=True).row(0, named=True)
peak_hour = busiest["peak_hour"].astimezone(ZoneInfo(data.tz))
cards = st.columns(4)
widgets.card(cards[0], "Tweets", labels.number(summary["tweets"].sum()), f"{labels.counted(summary.height, by)} shown")
widgets.card(cards[1], f"Top {by}", labels.number(top["tweets"]), f"#{top[by]} · {top['party']}")
widgets.card(cards[2], "Spike days", labels.number(summary["spike_days"].sum()), "summed over the lines shown")
widgets.card(
    cards[3],
    "Busiest hour",
    labels.number(busiest["peak_hour_tweets"]),
    f"#{busiest[by]} · {peak_hour:%-d %b %Y, %H:%M} local",
    help="Tweets in the busiest single hour of any line shown",
)

with st.container(horizontal=True, vertical_alignment="bottom"):  # the chart's own controls, above it
    most = int(url_state.choose("Top", ["5", "10", "20", "50"], "top", "10", "line counts", help=labels.TOP))
    log_scale = st.toggle("Log scale", key="hashtags-log", help="Compare small hashtags with large ones")
volume, drawn = series.hourly if hourly else series.daily, hashtags.top_series(series.daily, by, most)
shown = hashtags.with_other(volume, drawn, by, "period_start" if hourly else "date")
styles = series_styles(shown, by, data.colors)
measured = "tweets" if hourly else MEASURES[measure]
figure = hashtag_volume(shown, by, measured, styles, data.tz, hourly, log_scale, data.names)
widgets.chart(figure, f"{by}_{resolution}", shown)
st.caption(
    f"A **spike day** has at least {SPIKE_MIN_TWEETS:,} tweets and more than {SPIKE_FACTOR:g}× the mean of the "
    f"{SPIKE_WINDOW_DAYS} days before it (history before the date range counts)."
)

authors.unique_authors(data, filters, series.span, by, most)

st.subheader(f"Top {by}s per party")
widgets.table(summary, f"top_{by}s", data.tz, shown=summary.filter(pl.col("rank") <= most))

shares = share_of_voice(tables.party_daily)
widgets.chart(share_of_voice_area(shares, data.colors, data.tz), "share_of_voice", shares)
st.caption("Share of voice is against every party's tweets: parties filtered out appear together as 'Other parties'.")

st.subheader("Spike days")
spikes = series.spike_days
if spikes.is_empty():
    widgets.empty_state("No spike day in the selected range.")
else:
    drawn_spikes = spikes.join(drawn, on=[by, "party"], how="semi")
    widgets.table(spikes, f"{by}_spike_days", data.tz, height=320, shown=drawn_spikes)

st.subheader("Who drives it", help="Authors, how concentrated their tweets are, and copy-paste bursts")
authors.who_drives_it(data, filters, by)
widgets.how_computed()
