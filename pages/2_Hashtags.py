"""Hashtags: volume per hashtag or campaign (daily or hourly), spike days, the top tags per party, share of voice."""

from zoneinfo import ZoneInfo

import streamlit as st

from pulse import charts, ui
from pulse.metrics import SPIKE_FACTOR, SPIKE_MIN_TWEETS, SPIKE_WINDOW_DAYS, share_of_voice, unique_authors_daily
from pulse.metrics.drivers import BURST_GAP_S, burst_min_accounts, driver_source, top_concentration, with_account_ids
from pulse.metrics.recent import with_coverage

ui.setup_page("Hashtags")
st.title("Hashtags")
st.caption("Which hashtags carry each party, how fast they grow, and on which days they spiked.")

data, filters, tables = ui.page_data(hashtags=True)

LINES = {"Hashtags": "hashtag", "Campaigns": "campaign"}
MEASURES = {"Tweets": "tweets", "7-day average": "rolling_7d", "Cumulative": "cumulative"}
controls = st.columns([1.2, 1, 2, 1], vertical_alignment="bottom")
with controls[0]:
    lines = ui.choose(
        "Lines",
        list(LINES),
        "lines",
        "Hashtags",
        "views",
        help="A campaign merges the spellings and scripts of one hashtag (data/hashtag_groups.csv).",
    )
short = ui.is_short(filters)  # a day or two: by the hour, whatever the link says
with controls[1]:
    resolution_help = "A range of a day or two is shown by the hour." if short else None
    picked = ui.choose("Resolution", ["Daily", "Hourly"], "resolution", "Daily", "resolutions", help=resolution_help)
    hourly = short or picked == "Hourly"
with controls[2]:
    measure = ui.choose("Measure", list(MEASURES), "measure", "Tweets", "measures", disabled=hourly)
log_scale = controls[3].toggle("Log scale", key="hashtags-log", help="Compare small hashtags with large ones")
by, resolution = LINES[lines], "hourly" if hourly else "daily"

series = ui.hashtag_series(data, filters, by)
if series.daily.is_empty():
    ui.stop_with("No hashtag matches the filters. Pick at least one party, hashtag and a date range with tweets.")

summary = series.summary
top = summary.sort("tweets", descending=True).row(0, named=True)
busiest = summary.sort("peak_hour_tweets", descending=True).row(0, named=True)
peak_hour = busiest["peak_hour"].astimezone(ZoneInfo(data.tz))
cards = st.columns(4)
ui.card(cards[0], "Tweets", ui.number(summary["tweets"].sum()), f"{summary.height} {by}s shown")
ui.card(cards[1], f"Top {by}", ui.number(top["tweets"]), f"#{top[by]} · {top['party']}")
ui.card(cards[2], "Spike days", ui.number(summary["spike_days"].sum()), "summed over the lines shown")
ui.card(
    cards[3],
    "Busiest hour",
    ui.number(busiest["peak_hour_tweets"]),
    f"#{busiest[by]} · {peak_hour:%-d %b %Y, %H:%M} local",
    help="Tweets in the busiest single hour of any line shown",
)

palette = charts.series_colors(summary, by, data.colors)
volume = series.hourly if hourly else series.daily
figure = charts.hashtag_volume(
    volume, by, "tweets" if hourly else MEASURES[measure], palette, data.tz, hourly, log_scale, data.names
)
ui.chart(figure, f"{by}_{resolution}", volume)
st.caption(
    f"A **spike day** has at least {SPIKE_MIN_TWEETS:,} tweets and more than {SPIKE_FACTOR:g}× the mean of the "
    f"{SPIKE_WINDOW_DAYS} days before it (history before the date range counts)."
)

if data.hashtags.authors_daily is not None:
    authors = with_coverage(unique_authors_daily(data.hashtags.authors_daily, filters), data.tz, series.span)
    author_colors = charts.series_colors(authors, "hashtag", data.colors)
    ui.chart(
        charts.hashtag_volume(authors, "hashtag", "unique_authors", author_colors, data.tz, names=data.names),
        "unique_authors",
        authors,
    )
    st.caption(
        "**Unique authors**: accounts that used the hashtag that day, each counted once — a reach figure a few "
        "very active accounts cannot inflate. Shown per hashtag, as one account may use several spellings."
    )

st.subheader(f"Top {by}s per party")
ui.table(summary, f"top_{by}s", data.tz)

shares = share_of_voice(tables.party_daily)
ui.chart(charts.share_of_voice_area(shares, data.colors, data.tz), "share_of_voice", shares)
st.caption("Share of voice is against every party's tweets: parties filtered out appear together as 'Other parties'.")

st.subheader("Spike days")
spikes = series.spike_days
if spikes.is_empty():
    ui.empty_state("No spike day in the selected range.")
else:
    ui.table(spikes, f"{by}_spike_days", data.tz, height=320)

st.subheader("Who drives it", help="Authors, how concentrated their tweets are, and copy-paste bursts")
found = ui.who_drives(data, filters, by)
if found is None:
    ui.empty_state("No raw tweets with authors: add a raw_tweets file (docs/data.md) to see who drives each hashtag.")
else:
    (dataset, rows, drivers), key = found, ui.author_ids_key()
    st.caption(driver_source(dataset, rows, data.hashtags.form, key is not None))
    ui.table(drivers.drivers, f"{by}_drivers", data.tz, height=320)
    shares = top_concentration(drivers)
    ui.chart(charts.author_concentration(shares, by, data.colors), f"{by}_concentration", shares)
    if not drivers.has_text:
        ui.empty_state("These tweets have no text: copy-paste bursts need the text column.")
    elif drivers.bursts.is_empty():
        ui.empty_state(
            f"No copy-paste burst in the selected range ({burst_min_accounts()} or more accounts, "
            f"at most {BURST_GAP_S} s apart)."
        )
    else:
        st.markdown(f"**Biggest copy-paste bursts**: one text posted by many accounts, at most {BURST_GAP_S} s apart")
        ui.table(with_account_ids(drivers.bursts, key), "copy_bursts", data.tz)
ui.how_computed()
