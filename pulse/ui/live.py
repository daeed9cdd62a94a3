"""The war room: what `pulse watch` writes (how fresh the data is, the newest alerts, each live Space's audience),
shown live while it runs."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import streamlit as st

from pulse.charts.spaces import space_audience
from pulse.charts.theme import OTHER_COLOR
from pulse.config import data_dir, time_zone
from pulse.data.dataset import party_table
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.ui.labels import number
from pulse.ui.widgets import user_errors
from pulse.watch import alerts, state

LIVE_REFRESH_S = 30
RECENT_ALERTS = 3


@st.cache_data(max_entries=8, show_spinner=False)
def _live(directory: str, space_ids: tuple[str, ...], versions: tuple[int, ...]) -> tuple:
    # versions (of spaces, space_samples, parties and alerts) only key the cache: a new sample reloads these
    # small files alone, not the whole Dataset.
    store = Store(Path(directory))
    spaces, samples = state.live_spaces(store, space_ids)
    parties = load_dataset(store, "parties")
    colors = party_table(parties[0] if parties else None, [spaces["party"]])
    return spaces, samples, dict(colors.select("party", "color").iter_rows()), alerts.load_alerts(store)


@st.fragment(run_every=LIVE_REFRESH_S)
def live_panel() -> None:
    """While `pulse watch` runs on this data: how fresh it is, the newest alerts and each live Space's audience so
    far. It reruns alone every LIVE_REFRESH_S s, not the page around it; with no watcher running it shows nothing."""
    directory = data_dir()
    status = state.read_status(directory, datetime.now(UTC))
    if status is None or not status.running:
        return
    store = Store(directory)
    versions = tuple(store.version(name) for name in ("spaces", "space_samples", "parties", "alerts"))
    with user_errors():
        spaces, samples, colors, raised = _live(str(directory), status.live, versions)
    tz = time_zone()
    with st.container(border=True, key="live-panel"):
        st.markdown(
            f":green-badge[:material/sensors: Live] Data updated {state.updated_ago(status, datetime.now(UTC))} ago "
            f"by `pulse watch` · {len(status.live)} live Space(s)"
        )
        for alert in raised.head(RECENT_ALERTS).iter_rows(named=True):
            at = alert["raised_at"].astimezone(ZoneInfo(tz))
            st.text(f"{at:%-d %b %H:%M} · {alert['message']}")  # text from the data: never Markdown
        for space in spaces.iter_rows(named=True):
            audience = samples.filter(pl.col("space_id") == space["space_id"])
            now = audience["participants"][-1] if audience.height else None
            title = space["title"] or "untitled"
            st.text(f"{space['party']} · {space['host']} · {title} · {number(now)} listening now")
            if audience.height:
                figure = space_audience(audience, tz, colors.get(space["party"], OTHER_COLOR))
                st.plotly_chart(figure, key=f"chart-live-{space['space_id']}", config={"displaylogo": False})
