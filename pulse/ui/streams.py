"""Live streams on the pages: each rally's measured online audience beside its reported crowd (Rallies), and
Spaces and streams on one time axis (Compare's "Live audiences")."""

from datetime import timedelta

import polars as pl
import streamlit as st

from pulse.charts.streams import audience_curves, live_audiences
from pulse.data.dataset import Dataset
from pulse.escape import markdown_text
from pulse.metrics import streams as measure
from pulse.ui import url_state
from pulse.ui.labels import day_label, number
from pulse.ui.widgets import chart, empty_state, table

REPORTED_MEASURED = (
    "**Reported**: the crowd on the ground, as the party or the press gave it. **Measured**: YouTube's own count "
    "of viewers watching at once, sampled every few minutes while the stream was live. A stream without a stored "
    "rally belongs to its party's rally within 6 hours of its start."
)
HIDDEN = (
    "{who}'s stream “{title}” hid its viewer count throughout: YouTube gives no count when the owner hides it, so "
    "it has no measured figure."
)
ONLINE_COLUMNS = {
    "reported_attendance": st.column_config.NumberColumn(
        "Crowd (reported)", help="As the party or the press reported it", format="localized"
    ),
    "online_peak": st.column_config.NumberColumn(
        "Peak online (measured)", help="The most viewers at once of any one stream", format="localized"
    ),
    "online_avg": st.column_config.NumberColumn(
        "Average online (measured)", help="That stream's time-weighted average viewers", format="%,.0f"
    ),
}
# The figures first, where a phone shows them without scrolling sideways.
RALLY_STREAMS = ("channel_title", "peak_viewers", "avg_viewers", "started_at", "ended_at", "viewer_minutes", "title")
EVERY_RALLY = ("city", "reported_attendance", "online_peak", "online_avg", "party", "starts_at", "streams")
CURVES_WITHIN = timedelta(days=1)  # the curves first drawn: the largest sampled one and those this near its start
CURVES_MAX = 6  # curves on one chart, at most
AUDIENCE_COLUMNS = ("platform", "party", "peak", "average", "who", "title", "started_at", "ended_at", "id")


def rally_online_audience(data: Dataset, rallies: pl.DataFrame, streams: pl.DataFrame) -> None:
    """Each rally shown: its reported crowd and its streams' measured audience; one rally's curve and streams."""
    st.subheader("Online audience: reported and measured", anchor="online")
    st.caption(REPORTED_MEASURED)
    online = measure.rally_online(rallies, streams)
    streamed = online.filter(pl.col("streams") > 0).sort("online_peak", "starts_at", descending=True, nulls_last=True)
    if streamed.is_empty():
        empty_state("No live stream of these rallies is stored: `python -m pulse fetch-youtube` or `watch` adds them.")
        return
    labels = {
        rally_id: f"{city} · {party} · {day_label(at, data.tz)}"
        for rally_id, city, party, at in streamed.select("rally_id", "city", "party", "starts_at").iter_rows()
    }
    picked = url_state.choose_id("Rally streamed", labels, "rally", streamed["rally_id"][0], "rallies")
    row = online.row(by_predicate=pl.col("rally_id") == picked, named=True)
    cards = st.columns(4)
    cards[0].metric("Crowd, reported", number(row["reported_attendance"]), border=True, help="By the party or press")
    cards[1].metric("Peak online, measured", number(row["online_peak"]), border=True, help="Most viewers at once")
    cards[2].metric("Average online, measured", number(row["online_avg"]), border=True, help="Time-weighted")
    cards[3].metric("Streams", number(row["streams"]), border=True)
    own = streams.filter(pl.col("rally_id") == picked).sort("started_at", "stream_id")
    for hidden in own.filter(measure.count_hidden(own, data.stream_samples)).iter_rows(named=True):
        st.info(
            HIDDEN.format(
                who=markdown_text(hidden["channel_title"] or "A"), title=markdown_text(hidden["title"] or "")
            ),
            icon=":material/visibility_off:",
        )
    curves = measure.audience_curves(None, data.stream_samples, measure.stream_rows(own), data.tz)
    if not curves.is_empty():  # without one sample there is no curve: the notes above say why
        title = f"Viewers at once during the {row['city']} rally's streams"
        figure = audience_curves(curves, data.colors, data.tz, title, "Viewers at once", row["starts_at"])
        chart(figure, "rally_stream_viewers", curves)
    table(own.select(*RALLY_STREAMS, "stream_id", "rally_link"), "rally_streams", data.tz)
    st.markdown("**Every rally: the crowd reported, the audience measured**")
    table(online.select(*EVERY_RALLY, pl.exclude(EVERY_RALLY)), "rallies_online", data.tz, columns=ONLINE_COLUMNS)


def live_audiences_view(data: Dataset, spaces: pl.DataFrame, streams: pl.DataFrame) -> None:
    """Spaces and streams (in view) on one time axis by their peak audience, the platform marked, and as a table."""
    audiences = measure.live_audiences(spaces, streams)
    st.caption(
        "A Space's listeners and a stream's viewers at once count the same thing: people in the room at one moment. "
        "Each Space (●) and YouTube stream (◆) at its start, by the most at once; a Space's total reach is on Spaces."
    )
    if audiences.is_empty():
        empty_state("No Space or live stream matches the filters.")
        return
    best = audiences.sort("peak", descending=True, nulls_last=True).group_by("platform", maintain_order=True).first()
    cards = st.columns(2)
    for slot, platform in zip(cards, ("X Space", "YouTube"), strict=True):
        top = best.filter(pl.col("platform") == platform)
        about = (
            "none in view" if top.is_empty() else f"{top['who'][0] or '–'} · {day_label(top['started_at'][0], data.tz)}"
        )
        with slot.container(border=True):
            st.metric(f"Most at once, {platform}", number(None if top.is_empty() else top["peak"][0]))
            st.caption(markdown_text(about))
    chart(live_audiences(audiences, data.colors, data.tz), "live_audiences", None)
    table(audiences.select(AUDIENCE_COLUMNS), "live_audiences", data.tz)
    _curves(data, audiences)


def _curves(data: Dataset, audiences: pl.DataFrame) -> None:
    """The sampled audience of the Spaces and streams picked, on one time axis; at first the largest sampled one
    and those that started within a day of it."""
    curves = measure.audience_curves(data.space_samples, data.stream_samples, audiences, data.tz)
    if curves.is_empty():
        return
    sampled = curves.group_by("platform", "id", "label").agg(pl.col("audience").max(), pl.col("at").min())
    sampled = sampled.with_columns(pl.format("{}:{}", "platform", "id").alias("key")).sort("at", "key")
    largest = sampled.sort("audience", "at", descending=[True, False]).row(0, named=True)
    near = (pl.col("at") - largest["at"]).abs() <= CURVES_WITHIN
    default = sampled.filter(near).sort("audience", descending=True)["key"].head(CURVES_MAX).to_list()
    st.markdown("**Their audience over time**")
    labels = dict(sampled.select("key", "label").iter_rows())
    picked = url_state.choose_id(
        "Curves of", labels, "curves", default, "Spaces or streams", multi=True, max_selections=CURVES_MAX
    )
    shown = curves.filter(pl.format("{}:{}", "platform", "id").is_in(pl.lit(picked, pl.List(pl.String))))
    title = "Listeners and viewers at once, Spaces and streams"
    chart(audience_curves(shown, data.colors, data.tz, title), "live_curves", shown)
