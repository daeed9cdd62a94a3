"""The one module that imports Streamlit: cached loaders, the shared sidebar filters, downloads, errors."""

import os
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import polars as pl
import streamlit as st

from pulse.config import data_dir, time_zone
from pulse.connectors.x_api import TOKEN_ENV
from pulse.errors import PulseError
from pulse.export import csv_bytes
from pulse.load import Dataset, load_data_dir, with_uploads
from pulse.metrics import Filters, Tables, compute_tables
from pulse.store import Store
from pulse.tracking import Trackers

PAGE_ICON = ":material/campaign:"


def setup_page(title: str) -> None:
    st.set_page_config(page_title=f"{title} · Campaign Pulse", page_icon=PAGE_ICON, layout="wide")


# Validated uploads a user is looking at in their own session only (dataset name -> (frame, contract)).
SESSION_UPLOADS = "session_uploads"


@st.cache_data(max_entries=4, show_spinner="Loading and validating the data…")
def _load(directory: str, tz: str, fingerprint: tuple) -> Dataset:
    # fingerprint is only part of the cache key: a saved file changes it, so every session reloads.
    return load_data_dir(Path(directory), tz)


@st.cache_data(max_entries=64, show_spinner="Computing the metrics…")
def _tables(directory: str, tz: str, fingerprint: tuple, filters: Filters) -> Tables:
    return compute_tables(_load(directory, tz, fingerprint), filters)


def load_data() -> Dataset:
    """The store's data, loaded once per change of its files (shared by every session),
    with this session's own unsaved uploads in place of the stored datasets they replace."""
    directory = data_dir()
    stored = _load(str(directory), time_zone(), Store(directory).fingerprint())
    uploads = st.session_state.get(SESSION_UPLOADS)
    return with_uploads(stored, uploads) if uploads else stored


def tables(filters: Filters) -> Tables:
    """The metric tables for these filters, computed once per filters and data version."""
    if st.session_state.get(SESSION_UPLOADS):
        return compute_tables(load_data(), filters)  # one user's own data: nothing to share in a cache
    directory = data_dir()
    return _tables(str(directory), time_zone(), Store(directory).fingerprint(), filters)


def configured_editor_key() -> str | None:
    """The key that allows saving: `editor_key` in secrets.toml, else PULSE_EDITOR_KEY; None when neither."""
    try:
        key = st.secrets.get("editor_key")
    except FileNotFoundError:  # no secrets.toml at all
        key = None
    return key or os.environ.get("PULSE_EDITOR_KEY") or None


def configured_x_token() -> str | None:
    """The X API bearer token: `x_bearer_token` in secrets.toml, else X_BEARER_TOKEN; None when neither. Never shown."""
    try:
        token = st.secrets.get("x_bearer_token")
    except FileNotFoundError:  # no secrets.toml at all
        token = None
    return (token or "").strip() or os.environ.get(TOKEN_ENV, "").strip() or None


@st.cache_resource(show_spinner=False)
def trackers() -> Trackers:
    """The live Space trackers of this server process, shared by every session: change it through its methods only."""
    return Trackers()


@contextmanager
def user_errors():
    """Show errors a user can cause as a message and stop the page; never a traceback."""
    try:
        yield
    except PulseError as error:
        st.error(str(error), icon=":material/error:")
        st.stop()


def _notice_invalid(key: str, valid: Callable[[str], bool], what: str) -> None:
    """Streamlit drops URL values a widget cannot take; tell the user instead of silently ignoring them."""
    bad = [v for v in st.query_params.get_all(key) if v and not valid(v)]
    if bad:
        st.toast(f"Ignored {what} from the link: {', '.join(bad)}. Showing the default instead.", icon="⚠️")
        st.sidebar.warning(f"Link had unknown {what}: {', '.join(bad)}. Default used.", icon=":material/link_off:")


def _is_date_within(text: str, first: date, last: date) -> bool:
    try:
        return first <= date.fromisoformat(text) <= last
    except ValueError:
        return False


def sidebar_filters(data: Dataset, hashtags: bool = False) -> Filters:
    """The shared sidebar: parties, date range and (where relevant) hashtags, kept in the URL."""
    parties = data.parties.filter(
        pl.col("party").is_in(
            data.hashtags.counts["party"].unique().to_list()
            + data.spaces["party"].unique().to_list()
            + data.rallies["party"].unique().to_list()
        )
    )
    codes = parties["party"].to_list()
    names = dict(parties.select("party", "name").iter_rows())
    first, last = data_range(data)

    _notice_invalid("party", lambda v: v in codes, "parties")
    _notice_invalid("dates", lambda v: _is_date_within(v, first, last), "dates")
    with st.sidebar:
        st.header("Filters")
        chosen = st.multiselect(
            "Parties",
            codes,
            default=codes,
            help="; ".join(f"{c}: {n}" for c, n in names.items() if c in codes),
            key="party",
            bind="query-params",
            persist_state="session",
        )
        picked = st.date_input(
            "Dates (local)",
            value=(first, last),
            min_value=first,
            max_value=last,
            key="dates",
            bind="query-params",
            persist_state="session",
        )
        start, end = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (first, last)
        selected_tags = None
        if hashtags:
            tags = sorted(data.hashtags.counts["hashtag"].unique().to_list())
            _notice_invalid("hashtag", lambda v: v in tags, "hashtags")
            picked_tags = st.multiselect(
                "Hashtags",
                tags,
                key="hashtag",
                bind="query-params",
                persist_state="session",
                placeholder="All hashtags",
            )
            selected_tags = tuple(picked_tags) if picked_tags else None
        st.caption(f"Days are cut in **{data.tz}**.")
    all_parties = len(chosen) == len(codes)
    return Filters(start, end, None if all_parties else tuple(chosen), selected_tags)


def data_range(data: Dataset) -> tuple[date, date]:
    """The first and last local date with any data (hashtags, Spaces or rallies)."""
    tz = data.tz
    days = pl.concat(
        [
            data.hashtags.counts.select(pl.col("period_start").alias("t")),
            data.spaces.select(pl.col("started_at").alias("t")),
            data.rallies.select(pl.col("starts_at").alias("t")),
        ]
    ).select(pl.col("t").dt.convert_time_zone(tz).dt.date())
    return days["t"].min(), days["t"].max()


def download_csv(frame: pl.DataFrame, name: str, label: str = "Download CSV") -> None:
    """A download button whose file is exactly what `python -m pulse export` writes for this table."""
    st.download_button(
        label,
        csv_bytes(frame),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"download-{name}",
        icon=":material/download:",
        on_click="ignore",
    )


def empty_state(message: str) -> None:
    st.info(message, icon=":material/filter_alt_off:")


_COUNT = "localized"
SUMMARY_COLUMNS = {
    "party": st.column_config.TextColumn("Party"),
    "spaces": st.column_config.NumberColumn("Spaces", format=_COUNT),
    "spaces_reach": st.column_config.NumberColumn(
        "Spaces reach", help="Sum of total listeners of the party's Spaces (unknown totals skipped)", format=_COUNT
    ),
    "best_space_reach": st.column_config.NumberColumn("Best Space", format=_COUNT),
    "tweets": st.column_config.NumberColumn("Tweets", format=_COUNT),
    "share_of_voice_pct": st.column_config.NumberColumn("Share of voice", format="%.1f%%"),
    "growth_7d_pct": st.column_config.NumberColumn("7-day growth", format="%+.1f%%"),
    "rallies": st.column_config.NumberColumn("Rallies", format=_COUNT),
}

STORE_COLUMNS = {
    "dataset": st.column_config.TextColumn("Dataset"),
    "file": st.column_config.TextColumn("File"),
    "size_kb": st.column_config.NumberColumn("Size (KB)", format="localized"),
    "last_saved": st.column_config.DatetimeColumn("Last saved (UTC)", format="YYYY-MM-DD HH:mm"),
    "versions_to_undo": st.column_config.NumberColumn("Earlier versions"),
}

METRICS_DOC = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def how_computed() -> None:
    """The metric definitions of docs/metrics.md, one click away on every page."""
    with st.expander("How these numbers are computed", icon=":material/functions:"):
        st.markdown(METRICS_DOC.read_text(encoding="utf-8"))
