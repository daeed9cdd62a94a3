"""The war room: what `pulse watch` writes (whether each of its jobs works, the newest alerts, each live Space's and
live stream's audience), shown live while it runs and after it stopped."""

from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from pulse.charts.spaces import space_audience
from pulse.charts.streams import audience_curves as audience_chart
from pulse.charts.theme import OTHER_COLOR
from pulse.config import data_dir, time_zone
from pulse.data.dataset import party_table
from pulse.data.load import EMPTY_STREAM_SAMPLES, EMPTY_STREAMS, load_dataset
from pulse.data.store import Store
from pulse.errors import PulseError
from pulse.escape import markdown_text
from pulse.metrics.streams import audience_curves, live_streams, stream_rows
from pulse.ui.columns import ALERT_COLUMNS
from pulse.ui.labels import number
from pulse.ui.widgets import table, user_errors
from pulse.watch import alerts, state

LIVE_REFRESH_S = 30
RECENT_ALERTS = 3
JOB_NAMES = {
    "counts": "Hashtag counts",
    "spaces": "Live Spaces",
    "streams": "YouTube streams",
    "delivery": "Alert delivery",
}
PHONE_CARDS = 20  # alerts shown as cards on a phone, newest first
# Where Streamlit stacks columns, the alerts read as cards and the wide table (whose message column a phone cuts
# off) is hidden, its CSV button kept; on a wider screen, the reverse.
_ALERTS_BY_SCREEN = """<style>
@media (min-width: 641px) {
  .st-key-alert-cards, [data-testid="stLayoutWrapper"]:has(> .st-key-alert-cards) { display: none; }
}
@media (max-width: 640px) {
  .st-key-alert-table [data-testid="stElementContainer"]:has([data-testid="stDataFrame"]) { display: none; }
}
</style>"""


@st.cache_data(max_entries=8, show_spinner=False)
def _live(directory: str, space_ids: tuple[str, ...], versions: tuple[int, ...]) -> tuple:
    # versions (of spaces, space_samples, parties and alerts) only key the cache: a new sample reloads these
    # small files alone, not the whole Dataset.
    store = Store(Path(directory))
    spaces, samples = state.live_spaces(store, space_ids)
    parties = load_dataset(store, "parties")
    colors = party_table(parties[0] if parties else None, [spaces["party"]])
    return spaces, samples, dict(colors.select("party", "color").iter_rows()), alerts.load_alerts(store)


def live_now(directory: Path, status: state.WatchStatus) -> tuple:
    """The Spaces the watcher samples, their samples so far, the party colours and the alerts, read again only
    when one of their files changes."""
    store = Store(directory)
    versions = tuple(store.version(name) for name in ("spaces", "space_samples", "parties", "alerts"))
    return _live(str(directory), status.live, versions)


STREAM_FILES = ("streams", "stream_samples")


@st.cache_data(max_entries=8, show_spinner=False)
def _streams(directory: str, versions: tuple[int, ...]) -> tuple[pl.DataFrame, pl.DataFrame]:
    # versions (of STREAM_FILES) only key the cache, as for the Spaces.
    store = Store(Path(directory))
    streams, samples = (load_dataset(store, name) for name in STREAM_FILES)
    return (EMPTY_STREAMS if streams is None else streams[0]), (EMPTY_STREAM_SAMPLES if samples is None else samples[0])


def streams_now(directory: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The stored streams and their samples, read again only when one of their files changes."""
    store = Store(directory)
    return _streams(str(directory), tuple(store.version(name) for name in STREAM_FILES))


def read_status(directory: Path, now: datetime) -> state.WatchStatus | str | None:
    """The watcher's status; why its state cannot be read; or None when no watcher ever ran on this data."""
    try:
        return state.read_status(directory, now)
    except PulseError as error:
        return str(error)


@st.fragment(run_every=LIVE_REFRESH_S)
def live_panel() -> None:
    """Whether `pulse watch` keeps this data fresh, and while it runs the newest alerts and each live Space's
    audience so far. It reruns alone every LIVE_REFRESH_S s, not the page around it; with no watcher ever run on
    this data it shows nothing."""
    directory, now = data_dir(), datetime.now(UTC)
    status = read_status(directory, now)
    if status is None:
        return
    tz = time_zone()
    with st.container(border=True, key="live-panel"):
        _health(status, now, tz)
        if isinstance(status, str) or not status.running:
            return
        with user_errors():
            spaces, samples, colors, raised = live_now(directory, status)
            streams, stream_samples = streams_now(directory)
        for alert in raised.head(RECENT_ALERTS).iter_rows(named=True):
            at = alert["raised_at"].astimezone(ZoneInfo(tz))
            st.text(f"{at:%-d %b %H:%M} · {alert['message']}")  # text from the data: never Markdown
        for space in spaces.iter_rows(named=True):
            audience = samples.filter(pl.col("space_id") == space["space_id"])
            listening = audience["participants"][-1] if audience.height else None
            title = space["title"] or "untitled"
            st.text(f"{space['party']} · {space['host']} · {title} · {number(listening)} listening now")
            if audience.height:
                figure = space_audience(audience, tz, colors.get(space["party"], OTHER_COLOR))
                st.plotly_chart(figure, key=f"chart-live-{space['space_id']}", config={"displaylogo": False})
        _live_streams(streams, stream_samples, colors, now, tz)


def _live_streams(streams: pl.DataFrame, samples: pl.DataFrame, colors: dict[str, str], now: datetime, tz: str) -> None:
    """Each stream live at `now` (pulse.metrics.streams.live_streams), beside the live Spaces: who, what, how many
    watch now, and its viewers so far."""
    live = live_streams(streams, samples, now)
    curves = audience_curves(None, samples, stream_rows(live), tz)
    for stream in live.iter_rows(named=True):
        title = stream["title"] or "untitled"
        who = stream["channel_title"] or stream["channel_id"]
        st.text(f"YouTube · {stream['party']} · {who} · {title} · {number(stream['viewers_now'])} watching now")
        own = curves.filter(pl.col("id") == stream["stream_id"])
        figure = audience_chart(own, colors, tz, "Viewers during the stream", "Viewers at once")
        st.plotly_chart(figure, key=f"chart-live-stream-{stream['stream_id']}", config={"displaylogo": False})


@st.fragment(run_every=LIVE_REFRESH_S)
def watcher_health() -> None:
    """Whether `pulse watch` keeps this data fresh, alone (for the Alerts page, which lists the alerts itself): the
    headline, and each job's last success and last error one tap away, so that on a phone the alerts still come
    first."""
    directory, now = data_dir(), datetime.now(UTC)
    status = read_status(directory, now)
    if status is not None:
        with st.container(border=True, key="watcher-health"):
            _health(status, now, time_zone(), folded=True)


def _health(status: state.WatchStatus | str, now: datetime, tz: str, folded: bool = False) -> None:
    """A headline (live, retrying, failing, stopped, or unreadable) and each job's last success and last error
    (`folded`: in an expander)."""
    if isinstance(status, str):
        st.markdown(":red-badge[:material/error: Watcher state unreadable] whether data is being collected is unknown")
        st.caption(markdown_text(status))
        return
    failing = status.failing(now)
    beat = f"`pulse watch` running, heartbeat {ago(status.updated_at, now)} · {len(status.live)} live Space(s)"
    if status.live_streams:
        beat += f" · {len(status.live_streams)} live stream(s)"
    if not status.running:
        st.markdown(
            f":red-badge[:material/power_off: Stopped] `pulse watch` stopped at {_when(status.stopped_at, now, tz)}: "
            "nothing is being collected"
        )
    elif failing:
        since = min(job.failing_since for job in failing)
        names = ", ".join(JOB_NAMES[job.job] for job in failing)
        st.markdown(f":red-badge[:material/error: Failing since {_when(since, now, tz)}] {names} · {beat}")
    elif any(job.failing_since is not None for job in status.jobs):
        st.markdown(f":orange-badge[:material/sync_problem: Retrying] {beat}")
    else:
        st.markdown(f":green-badge[:material/sensors: Live] {beat}")
    with st.expander("Each job's last success and last error", key="watcher-jobs") if folded else nullcontext():
        for job in status.jobs:
            st.markdown(_job_line(job, now, tz))


def _job_line(job: state.JobStatus, now: datetime, tz: str) -> str:
    """'✓ Hashtag counts · last success …', then its last error (data: escaped) on a line of its own."""
    name = JOB_NAMES[job.job]
    if job.failing(now):
        head = f":red[:material/error: **{name}** failing since {_when(job.failing_since, now, tz)}]"
    elif job.failing_since is not None:
        retry = f"next try {_when(job.next_try, now, tz)}" if job.next_try is not None else "retrying"
        head = f":orange[:material/sync_problem: **{name}** failed, {retry}]"
    else:
        head = f":green[:material/check_circle:] **{name}**"
    if job.last_success is not None:
        success = f"last success {_when(job.last_success, now, tz)}"
    else:
        success = "nothing to send yet" if job.job == "delivery" and job.last_error is None else "no success yet"
    line = f"{head} · {success}"
    if job.last_error is not None and job.last_error_at is not None:
        line += f"  \n:small[Last error {_when(job.last_error_at, now, tz)}: {markdown_text(job.last_error)}]"
    return line


def _when(at: datetime, now: datetime, tz: str) -> str:
    """'17:21 PKT (2 min ago)', with the day when it is not today's: '6 Dec 17:21 PKT (1 day ago)'; '(in 30 s)' for
    a moment to come."""
    local = at.astimezone(ZoneInfo(tz))
    day = "" if local.date() == now.astimezone(ZoneInfo(tz)).date() else f"{local:%-d %b} "
    return f"{day}{local:%H:%M %Z} ({ago(at, now)})"


def ago(at: datetime, now: datetime) -> str:
    """'2 min ago', or 'in 30 s'."""
    seconds = int((now - at).total_seconds())
    return f"{_duration(seconds)} ago" if seconds >= 0 else f"in {_duration(-seconds)}"


def _duration(seconds: int) -> str:
    """'40 s', '3 min', '5 h', '2 days'."""
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def alert_cards(shown: pl.DataFrame, tz: str) -> None:
    """On a phone only: the newest alerts as cards, kind in words and the whole message, before anything else."""
    with st.container(key="alert-cards"):
        st.html(_ALERTS_BY_SCREEN)  # inside: on a wide screen it takes no room either
        for alert in shown.head(PHONE_CARDS).iter_rows(named=True):
            at = alert["raised_at"].astimezone(ZoneInfo(tz))
            if alert["delivered"]:
                sent = ":green[:material/done_all: Sent to the team's chat]"
            else:
                sent = ":orange[:material/schedule: Not sent yet]" + (
                    f" {markdown_text(alert['error'])}" if alert["error"] else ""
                )
            st.container(border=True).markdown(
                f"**{alerts.KIND_LABELS.get(alert['kind'], markdown_text(alert['kind']))}** · "
                f"{markdown_text(alert['party'] or 'all parties')} · {at:%-d %b %Y, %H:%M %Z}  \n"
                f"{markdown_text(alert['message'])}  \n{sent}"
            )
        if shown.height > PHONE_CARDS:
            st.caption(f"The newest {PHONE_CARDS} of {shown.height:,} alerts: the CSV below has them all.")


def alert_table(shown: pl.DataFrame, tz: str) -> None:
    """On a wider screen: every alert shown, in a table; on a phone, only its CSV button (the cards read better)."""
    with st.container(key="alert-table"):
        table(shown, "alerts", tz, columns=ALERT_COLUMNS)
