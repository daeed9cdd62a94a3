"""The one module that imports Streamlit: cached loaders, the shared sidebar filters, downloads, errors."""

# Imported whole before any page draws. Streamlit runs each session's script in a thread of its own, and plotly's
# JSON encoder looks pandas up in sys.modules without importing it: a chart drawn while another session was still
# importing pandas (for its first table) met a half-made module ("partially initialized module 'pandas' has no
# attribute 'NaT'"), and 5 of 10 first visitors after a restart got an error. Every page imports this module
# before it draws anything, so the first session imports these here, whole, and the others wait at this module's
# import lock until it has.
import numpy  # noqa: F401, I001
import pandas  # noqa: F401
import pyarrow  # noqa: F401

import math
import os
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

import plotly.graph_objects as go
import polars as pl
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pulse import charts
from pulse.watch import alerts, state
from pulse.charts import OTHER_COLOR
from pulse.config import data_dir, time_zone
from pulse.connectors.x_api import TOKEN_ENV
from pulse.metrics.drivers import (
    AUTHOR_SALT_ENV,
    SHOW_AUTHOR_IDS_ENV,
    DriverTables,
    author_day_tables,
    author_key,
    burst_min_accounts,
    driver_tables,
    with_bursts,
)
from pulse.errors import PulseError
from pulse.escape import markdown_text
from pulse.data.export import csv_bytes, export_name, xlsx_bytes
from pulse.keyguard import KeyGuard
from pulse.data.load import (
    Dataset,
    RawTweets,
    load_author_days,
    load_data_dir,
    load_dataset,
    load_raw_tweets,
    party_table,
    with_uploads,
)
from pulse.metrics import (
    Filters,
    HashtagTables,
    Tables,
    compute_tables,
    describe_events,
    event_windows,
    events,
    hashtag_tables,
)
from pulse.metrics.recent import as_of, party_ranking, preset_dates
from pulse.data.contract import Contract
from pulse.data.store import Store
from pulse.watch.tracking import Trackers

# A file served by the app itself: a Material or emoji icon is fetched from an outside host (a font or emoji
# CDN), which fails offline and tells that host who opened the dashboard.
PAGE_ICON = Path(__file__).resolve().parents[1] / "assets" / "icon.png"


def setup_page(title: str) -> None:
    _leave_old_multipage_mode()
    st.set_page_config(page_title=f"{title} · Campaign Pulse", page_icon=str(PAGE_ICON), layout="wide")


_STARTED = "_pulse_started"


def _leave_old_multipage_mode() -> None:
    """Streamlit starts in its old multipage mode because pages/ exists, and stays in it until some session runs
    st.navigation: until someone opened the overview, a link to a page ran that page alone, with pages/'s file
    names ("dashboard", ...) in the sidebar and without what dashboard.py adds to every page. Leave that mode,
    and run a session's first page again through the entry's navigation (same URL path, so the same page)."""
    first_run = not st.session_state.get(_STARTED)
    st.session_state[_STARTED] = True
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        if first_run:  # nothing clicked yet, so a rerun loses nothing
            st.rerun()


# Validated uploads a user is looking at in their own session only (dataset name -> (frame, contract)),
# and the stored data with them in place, with the version of the stored files it was built on.
SESSION_UPLOADS = "session_uploads"
OWN_DATA = "own_data"


# Above this much data, the loading message says how much and counts the seconds (a 7M-row raw tweets file
# is 120 MB as Parquet, 540 MB as CSV, and takes seconds, not an instant).
LARGE_DATA_BYTES = 50 * 2**20


@st.cache_data(max_entries=4, show_spinner=False)  # load_data() shows the spinner, sized to the data
def _load(directory: str, tz: str, fingerprint: tuple) -> Dataset:
    # fingerprint is only part of the cache key: a saved file changes it, so every session reloads.
    return load_data_dir(Path(directory), tz)


@st.cache_data(max_entries=64, show_spinner="Computing the metrics…")
def _tables(directory: str, tz: str, fingerprint: tuple, filters: Filters) -> Tables:
    return compute_tables(_load(directory, tz, fingerprint), filters)


@st.cache_data(max_entries=32, show_spinner="Computing the hashtag series…")
def _hashtag_tables(directory: str, tz: str, fingerprint: tuple, filters: Filters, by: str) -> HashtagTables:
    return hashtag_tables(_load(directory, tz, fingerprint), filters, by)


def _windows(data: Dataset, chosen: tuple[str, ...], hourly: bool) -> pl.DataFrame:
    described = describe_events(events(data.spaces, data.rallies), data.spaces, data.rallies, data.tz)
    picked = described.filter(pl.col("event").is_in(list(chosen)))
    return event_windows(picked, data.hashtags.counts, resolution="hour" if hourly else "day")


@st.cache_data(max_entries=32, show_spinner="Aligning the event windows…")
def _event_windows(directory: str, tz: str, fingerprint: tuple, chosen: tuple[str, ...], hourly: bool) -> pl.DataFrame:
    return _windows(_load(directory, tz, fingerprint), chosen, hourly)


def load_data() -> Dataset:
    """The store's data, loaded once per change of its files (shared by every session),
    with this session's own unsaved uploads in place of the stored datasets they replace."""
    directory = data_dir()
    fingerprint = Store(directory).fingerprint()
    size = sum(file_size for _, _, file_size in fingerprint)
    large = size >= LARGE_DATA_BYTES
    message = (
        f"Loading and validating {size / 2**20:,.0f} MB of data (raw tweets are aggregated as they are read)…"
        if large
        else "Loading and validating the data…"
    )
    with st.spinner(message, show_time=large):  # shown only if it takes over half a second: not on a cache hit
        stored = _load(str(directory), time_zone(), fingerprint)
    uploads = st.session_state.get(SESSION_UPLOADS)
    if not uploads:
        return stored
    # Merged once per upload and stored version, not on every rerun: raw tweets are aggregated in the merge.
    version = (fingerprint, stored.tz)
    built_on, own = st.session_state.get(OWN_DATA, (None, None))
    if built_on != version:
        own = with_uploads(stored, uploads)
        st.session_state[OWN_DATA] = (version, own)
    return own


def view_upload(dataset: str, frame: pl.DataFrame, contract: Contract) -> None:
    """Show this session's pages a validated upload in place of the stored dataset (never saved)."""
    st.session_state.setdefault(SESSION_UPLOADS, {})[dataset] = (frame, contract)
    st.session_state.pop(OWN_DATA, None)


def _drop_uploads() -> None:
    st.session_state.pop(SESSION_UPLOADS, None)
    st.session_state.pop(OWN_DATA, None)


def upload_banner() -> None:
    """While this session's own upload is in view, say so on every page, with a way back to the stored data."""
    uploads = st.session_state.get(SESSION_UPLOADS)
    if not uploads:
        return
    with st.container(border=True, key="upload-banner"):
        st.warning(
            f"You are looking at your own upload ({', '.join(sorted(uploads))}), in this session only: "
            "it is not saved and nobody else sees it.",
            icon=":material/visibility:",
        )
        st.button("Back to the stored data", key="drop-uploads", on_click=_drop_uploads, icon=":material/undo:")


# Every page once, the overview first (its address is the app's root). Paths are relative to dashboard.py.
# No page icons: a page's icon becomes the tab's icon, and a material icon there is fetched from Google's font
# host (a request to another host, which fails offline); the tab keeps the app's own icon instead.
PAGES = (
    ("pages/0_Overview.py", "Overview"),
    ("pages/1_Spaces.py", "Spaces"),
    ("pages/2_Hashtags.py", "Hashtags"),
    ("pages/3_Rallies.py", "Rallies"),
    ("pages/4_Compare.py", "Compare"),
    ("pages/5_Data.py", "Data"),
    ("pages/6_Alerts.py", "Alerts"),
)


def navigation():
    """The sidebar's page list (st.navigation), the overview as the default page."""
    return st.navigation(
        [st.Page(path, title=title, url_path=title, default=i == 0) for i, (path, title) in enumerate(PAGES)]
    )


def _for(data: Dataset, shared: Callable, own: Callable, *args):
    """`shared(directory, tz, fingerprint, *args)`, cached for every session, for the stored data; for data with
    this session's uploads, `own(data, *args)`: one user's own data, nothing to share in a cache."""
    if st.session_state.get(SESSION_UPLOADS):
        return own(data, *args)
    directory = data_dir()
    return shared(str(directory), data.tz, Store(directory).fingerprint(), *args)


def tables(data: Dataset, filters: Filters) -> Tables:
    """The metric tables for these filters, computed once per filters and data version."""
    return _for(data, _tables, compute_tables, filters)


@st.cache_resource(show_spinner=False)
def key_guard() -> KeyGuard:
    """The editor-key attempts of this server process, shared by every session (it locks itself)."""
    return KeyGuard.from_env()


def key_accepted(given: str | None, configured: str, nothing_was: str) -> bool:
    """Whether the typed editor key is the configured one, unless too many wrong ones came first; if not, say
    that nothing was `nothing_was`."""
    ctx = get_script_run_ctx()
    with user_errors():
        verdict = key_guard().attempt(ctx.session_id if ctx else "", given, configured)
    if verdict.accepted:
        return True
    if verdict.locked:
        reason = f"Too many wrong editor keys: saving is locked for {_duration(verdict.wait_s)}"
    elif verdict.wait_s and given:
        reason = f"That editor key is not right. Wait {_duration(verdict.wait_s)} before the next try"
    else:
        reason = "That editor key is not right"
    st.error(f"{reason}; nothing was {nothing_was}.", icon=":material/lock:")
    return False


def _duration(seconds: float) -> str:
    # To the millisecond first: a wait of (now + 600) - now on a large monotonic clock can come out as
    # 600.0000000001 s, which must read "10 min", not "11 min".
    seconds = round(seconds, 3)
    return f"{math.ceil(seconds / 60)} min" if seconds > 90 else f"{math.ceil(seconds)} s"


def page_data(hashtags: bool = False) -> tuple[Dataset, Filters, Tables]:
    """What every analysis page starts with: the data, the shared sidebar filters and the tables they give."""
    with user_errors():
        data = load_data()
        filters = sidebar_filters(data, hashtags=hashtags)
        st.session_state[_VIEW] = filters  # download file names carry the view's filters
        # No page reads the export tables' hashtag filter (the Hashtags page has its own series): leaving it out
        # keeps one cached set of tables per parties and dates, whichever hashtags are picked.
        shown = tables(data, replace(filters, hashtags=None))
    with st.sidebar:
        st.download_button(
            "Excel workbook of this view",
            lambda: xlsx_bytes(shown.as_dict(), data.tz),
            file_name=export_name("pulse-export", ".xlsx", filters.start, filters.end, filters.parties),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="download-workbook",
            icon=":material/table_view:",
            on_click="ignore",
            help="Every table of `python -m pulse export` for these filters, a sheet each",
        )
    return data, filters, shown


def _configured(secret: str, variable: str) -> str | None:
    """`secret` from secrets.toml, else the environment `variable`; None when neither is set (or blank)."""
    try:
        value = st.secrets.get(secret)
    except FileNotFoundError:  # no secrets.toml at all
        value = None
    return (value or "").strip() or os.environ.get(variable, "").strip() or None


def configured_editor_key() -> str | None:
    """The key that allows saving: `editor_key` in secrets.toml, else PULSE_EDITOR_KEY; None when neither."""
    return _configured("editor_key", "PULSE_EDITOR_KEY")


def configured_x_token() -> str | None:
    """The X API bearer token: `x_bearer_token` in secrets.toml, else X_BEARER_TOKEN; None when neither. Never shown."""
    return _configured("x_bearer_token", TOKEN_ENV)


@st.cache_resource(show_spinner=False)
def trackers() -> Trackers:
    """The live Space trackers of this server process, shared by every session: change it through its methods only."""
    return Trackers()


def hashtag_series(data: Dataset, filters: Filters, by: str) -> HashtagTables:
    """The Hashtags page's series for these filters, by hashtag or campaign, computed once per choice."""
    with user_errors():
        return _for(data, _hashtag_tables, hashtag_tables, filters, by)


@st.cache_resource(max_entries=1, show_spinner="Reading the raw tweets…")
def _raw_tweets(directory: str, fingerprint: tuple) -> RawTweets | None:
    # Shared, never copied (cache_data would copy millions of rows on every rerun): read-only by every caller.
    return load_raw_tweets(Store(Path(directory)))


@st.cache_resource(max_entries=1, show_spinner=False)
def _author_days(directory: str, fingerprint: tuple) -> pl.DataFrame | None:
    # The rollup's per-author day counts (pulse.rollup); shared and read-only, as the raw tweets are.
    return load_author_days(Store(Path(directory)))


@st.cache_data(max_entries=32, show_spinner="Finding who drives each hashtag…")
def _driver_tables(
    directory: str, tz: str, fingerprint: tuple, filters: Filters, by: str, min_accounts: int
) -> DriverTables | None:
    raw = _raw_tweets(directory, fingerprint)
    # Per hashtag, the rollup's day counts when there are any (exact); per campaign, raw rows (pulse.metrics.drivers).
    days = _author_days(directory, fingerprint) if by == "hashtag" else None
    if days is not None:
        tables = author_day_tables(days, filters)
        return tables if raw is None else with_bursts(tables, raw.rows, filters, tz, min_accounts)
    if raw is None:
        return None
    groups = _load(directory, tz, fingerprint).hashtag_groups
    return driver_tables(raw.rows, groups, filters, tz, by, min_accounts)


def who_drives(data: Dataset, filters: Filters, by: str) -> tuple[str, int, DriverTables] | None:
    """Who drives each hashtag or campaign, and where from (the dataset and its rows, for driver_source): the
    rollup's hashtag_author_days per hashtag when the data directory has it, else the stored raw tweets with
    authors; None when there are neither."""
    directory = data_dir()
    fingerprint = Store(directory).fingerprint()
    with user_errors():
        days = _author_days(str(directory), fingerprint) if by == "hashtag" else None
        raw = _raw_tweets(str(directory), fingerprint)
        if days is None and raw is None:
            return None
        tables = _driver_tables(str(directory), data.tz, fingerprint, filters, by, burst_min_accounts())
        if days is not None:
            return "hashtag_author_days", days.height, tables
        return raw.dataset, raw.rows.height, tables


def author_ids_key() -> bytes | None:
    """The key author ids are hashed with on screen and in downloads; None when the setting shows raw ids."""
    return author_key(_configured("author_salt", AUTHOR_SALT_ENV), _configured("show_author_ids", SHOW_AUTHOR_IDS_ENV))


def aligned_windows(data: Dataset, chosen: list[str], hourly: bool) -> pl.DataFrame:
    """Party volume around the chosen events (keys from pulse.metrics.event_key), computed once per choice."""
    return _for(data, _event_windows, _windows, tuple(chosen), hourly)


@contextmanager
def user_errors():
    """Show errors a user can cause as a message and stop the page; never a traceback."""
    try:
        yield
    except PulseError as error:
        st.error(markdown_text(error), icon=":material/error:")
        st.stop()


def _notice_invalid(key: str, valid: Callable[[str], bool], what: str) -> None:
    """Streamlit drops URL values a widget cannot take; tell the user instead of silently ignoring them."""
    bad = [v for v in st.query_params.get_all(key) if v and not valid(v)]
    if bad:
        _notice(f"The link had unknown {what}: {_listed(bad)}. They were ignored.")


def _listed(values: list[str]) -> str:
    """Values from a link, listed as text: a link is written by anyone, so nothing in it may be markup."""
    return ", ".join(markdown_text(v) for v in values)


def _notice(message: str) -> None:
    st.toast(message, icon="⚠️")
    st.sidebar.warning(message, icon=":material/link_off:")


def _is_date_within(text: str, first: date, last: date) -> bool:
    try:
        return first <= date.fromisoformat(text) <= last
    except ValueError:
        return False


def sidebar_filters(data: Dataset, hashtags: bool = False) -> Filters:
    """The shared sidebar: parties, date range and (where relevant) hashtags, kept in the URL."""
    codes = data.party_codes
    names = data.names
    first, last = data_range(data)

    _notice_invalid("party", lambda v: v in codes, "parties")
    _notice_invalid("dates", lambda v: _is_date_within(v, first, last), "dates")
    _notice_invalid("period", lambda v: v in PERIODS, "periods")
    _note_page_switch()
    before = {key: st.session_state.get(key) for key in ("party", "period", "hashtag")}
    with st.sidebar:
        st.header("Filters")
        chosen = st.multiselect(
            "Parties",
            codes,
            default=codes,
            help="; ".join(f"{markdown_text(c)}: {markdown_text(n)}" for c, n in names.items() if c in codes),
            key="party",
            bind="query-params",
            persist_state="session",
        )
        start, end = _period(data, first, last, before["period"])
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
            picked_tags = _persisted("hashtag", before["hashtag"], picked_tags)
            selected_tags = tuple(picked_tags) if picked_tags else None
        st.caption(f"Days are cut in **{data.tz}**.")
    chosen = _persisted("party", before["party"], chosen)
    all_parties = len(chosen) == len(codes)
    return Filters(start, end, None if all_parties else tuple(chosen), selected_tags)


_PAGE, _SWITCHED = "_pulse_page", "_pulse_switched"


def _note_page_switch() -> None:
    """Remember whether this run is the first on a page after another page (or the session's first)."""
    ctx = get_script_run_ctx()
    page = ctx.page_script_hash if ctx else ""
    st.session_state[_SWITCHED] = st.session_state.get(_PAGE) != page
    st.session_state[_PAGE] = page


# Sidebar periods: hours before the data's as_of (None: all the data), or "Custom" dates.
PERIODS = {"Last 24 hours": 24, "Last 7 days": 168, "Last 30 days": 720, "All": None, "Custom": None}
_APPLIED = "_pulse_dates"  # the last complete custom range, what the pages show
_REORDERED = "_pulse_reordered_dates"  # a link's reversed range, put in order on the next run


def _period(data: Dataset, first: date, last: date, before: str | None) -> tuple[date, date]:
    """The period control and, for "Custom", the date range; the local dates the pages show."""
    default = "Custom" if st.query_params.get_all("dates") else "All"
    period = st.radio(
        "Period",
        list(PERIODS),
        index=list(PERIODS).index(default),
        key="period",
        bind="query-params",
        persist_state="session",
        help="Relative to the end of the data (the last hour it covers), not to today's clock.",
    )
    period = _persisted("period", before, period) or default
    if period == "Custom":
        if reordered := st.session_state.get(_REORDERED):
            _notice(
                f"The link's dates were in reverse order; showing {reordered[0]:%-d %b %Y} to {reordered[1]:%-d %b %Y}."
            )
        _custom_dates(first, last)
        return st.session_state.get(_APPLIED) or (first, last)
    end = as_of(data.hashtags.counts, None, data.tz)
    start_day, end_day = preset_dates(PERIODS[period], end, first, last, data.tz)
    if PERIODS[period] is not None and end is not None:
        st.caption(f"{period}: {window_label(end, PERIODS[period], data.tz)}; the charts show the days it touches.")
    return start_day, end_day


AS_OF_HELP = "Recent figures end where the data ends (the last hour it covers), not at today's clock."
SHORT_RANGE_DAYS = 2  # a range of this many local days or fewer is drawn by the hour


def is_short(filters: Filters) -> bool:
    """Whether the date range is short enough to draw by the hour (a day, or the last 24 hours)."""
    return (
        filters.start is not None and filters.end is not None and (filters.end - filters.start).days < SHORT_RANGE_DAYS
    )


def recent_by_party(summary: pl.DataFrame) -> None:
    """The parties ranked by their tweets in the last 24 h, with the last 7 days beside: one compact table that
    reads on a phone (a card per party and window filled two screens there). Its numbers are in the summary's CSV."""
    short = {
        "tweets_24h": "24 h",
        "growth_24h_pct": "24 h change",
        "tweets_7d": "7 days",
        "growth_7d_pct": "7-day change",
    }
    config = {"party": COLUMNS["party"]} | {
        column: COLUMNS[column] | {"label": label} for column, label in short.items()
    }
    st.dataframe(
        party_ranking(summary),
        hide_index=True,
        width="content",
        column_config=config,
        placeholder="–",
    )


def hour_label(start: datetime, tz: str) -> str:
    """'31 May 21:00–22:00 PKT': the local hour starting at `start`."""
    local = start.astimezone(ZoneInfo(tz))
    return f"{local:%-d %b %H:%M}–{(start + timedelta(hours=1)).astimezone(ZoneInfo(tz)):%H:%M %Z}"


def day_label(at: datetime, tz: str) -> str:
    """'Thu 21 Apr 2022, 20:00 PKT'."""
    return f"{at.astimezone(ZoneInfo(tz)):%a %-d %b %Y, %H:%M %Z}"


def window_label(end: datetime, hours: int, tz: str) -> str:
    """'31 May 05:00 – 1 Jun 05:00 PKT': the `hours` before `end`, in local time."""
    zone = ZoneInfo(tz)
    start, stop = (end - timedelta(hours=hours)).astimezone(zone), end.astimezone(zone)
    return f"{start:%-d %b %H:%M} – {stop:%-d %b %H:%M %Z}"


def as_of_label(end: datetime, tz: str) -> str:
    """'1 Jun 05:00 PKT': a moment in local time, with the zone's abbreviation."""
    return f"{end.astimezone(ZoneInfo(tz)):%-d %b %H:%M %Z}"


# Streamlit's date field commits a typed date when focus moves to another element (not on Enter, nor on a bare
# blur): Enter moves it to the page's main area. A constant script (nothing from data or the URL), added once.
_ENTER_COMMITS_DATES = """<script>
if (!window.__pulseEnterCommitsDates) {
  window.__pulseEnterCommitsDates = true;
  document.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.closest?.('[data-testid="stDateInputField"]')) {
      document.querySelector('[data-testid="stMain"]')?.focus({preventScroll: true});
    }
  }, true);
}
</script>"""


@st.fragment
def _custom_dates(first: date, last: date) -> None:
    """The custom date range. Its own fragment: picking the first end of a range reruns only this, so the page
    stays drawn; the second end (or a complete typed range) reruns the page with the new range."""
    in_fragment_run = bool(getattr(get_script_run_ctx(), "fragment_ids_this_run", None))
    if reordered := st.session_state.pop(_REORDERED, None):
        st.session_state["dates"] = reordered  # a link's value wins on the first run only: set it on the second
    before = st.session_state.get("dates")
    picked = st.date_input(
        "Dates (local)",
        value=(first, last),
        min_value=first,
        max_value=last,
        key="dates",
        bind="query-params",
        persist_state="session",
        format="YYYY-MM-DD",
        help="Pick the first and the last day; type dates as YYYY-MM-DD and press Enter.",
    )
    picked = tuple(picked) if isinstance(picked, tuple | list) else ()
    st.html(_ENTER_COMMITS_DATES, unsafe_allow_javascript=True, width="content")
    if not in_fragment_run:
        picked = tuple(_persisted("dates", before, picked))
        if len(picked) == 1:  # a link's one-day range (or a whole run before the second end): that day
            picked = (picked[0], picked[0])
    if len(picked) != 2:
        st.caption("Pick the other end of the range; the page shows the last complete range until then.")
        return
    if picked[0] > picked[1]:  # only a link can do this: the date picker keeps its range in order
        st.session_state[_REORDERED] = (picked[1], picked[0])
        st.rerun(scope="app")
    if st.session_state.get(_APPLIED) != picked:
        st.session_state[_APPLIED] = picked
        if in_fragment_run:
            st.rerun(scope="app")


def _persisted(key: str, before, returned):
    """Work around Streamlit 1.67: on the first run after a page switch a widget with persist_state="session"
    returns its default, although the session and the widget on screen keep the user's value (the next run
    returns it). Use the kept value, so no number on the new page is computed with filters nobody chose."""
    if (
        st.session_state.get(_SWITCHED)
        and before is not None
        and returned is not None
        and before != returned
        and not st.query_params.get_all(key)  # a link's own value wins
    ):
        return before
    return returned


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


_VIEW = "_pulse_view"


def download_csv(frame: pl.DataFrame, name: str, label: str = "Download CSV") -> None:
    """A download button whose file is exactly what `python -m pulse export` writes for this table,
    named after the table and the view's filters so two downloads never overwrite each other."""
    view = st.session_state.get(_VIEW, Filters())
    st.download_button(
        label,
        csv_bytes(frame, time_zone()),
        file_name=export_name(name, ".csv", view.start, view.end, view.parties),
        mime="text/csv",
        key=f"download-{name}",
        icon=":material/download:",
        on_click="ignore",
    )


def empty_state(message: str) -> None:
    st.info(message, icon=":material/filter_alt_off:")


def stop_with(message: str) -> NoReturn:
    """Say why there is nothing to show, and end this run of the page."""
    empty_state(message)
    st.stop()


def chart(figure: go.Figure, name: str, data: pl.DataFrame | None) -> None:
    """A plotly chart (keyed by `name`) with the CSV of exactly the data it draws under it; None when a table
    on the page downloads that very data already (one download per distinct table)."""
    st.plotly_chart(figure, key=f"chart-{name}", config={"displaylogo": False})
    if data is not None:
        download_csv(data, name, "Chart data (CSV)")


def table(
    frame: pl.DataFrame,
    name: str,
    tz: str,
    height: int | str = "auto",
    compact: list[str] = (),
    columns: dict | None = None,
) -> None:
    """A table with readable headers and local times, and its CSV (times in UTC, as every export).

    `compact` columns mix units row by row (a head-to-head table), so they are shown short: 1.1M, 86.9.
    `columns` configures columns whose name means something else in this table than in COLUMNS.
    """
    shown = frame.with_columns(pl.col(pl.Datetime("us", "UTC")).dt.convert_time_zone(tz))
    config = {c: COLUMNS[c] for c in frame.columns if c in COLUMNS}
    config |= {c: st.column_config.NumberColumn(c, format="compact") for c in compact}
    config |= columns or {}
    st.dataframe(shown, hide_index=True, height=height, column_config=config, placeholder="–")
    download_csv(frame, name)


def choose(
    label: str, options: list[str], key: str, default: str | list[str], what: str, multi: bool = False, **kwargs
):
    """A page control kept in the URL like the sidebar filters, with the same notice for a bad link value.

    The URL holds the option as shown, so options here are short labels or codes: "Daily", "PTI".
    One option (segmented control, always one chosen) or several (`multi`).
    """
    _notice_invalid(key, lambda v: v in options, what)
    before = st.session_state.get(key)
    common = dict(key=key, bind="query-params", persist_state="session", **kwargs)
    if multi:
        chosen = st.multiselect(label, options, default=default, **common)
    else:
        chosen = st.segmented_control(label, options, default=default, required=True, **common)
    return _persisted(key, before, chosen)


def choose_id(
    label: str, labels: dict[str, str], key: str, default: str | list[str], what: str, multi: bool = False, **kwargs
):
    """Pick ids shown by their labels, kept in the URL by id (`?space=sp-0020`).

    A widget bound to the URL would write the long label there, so this one syncs the URL itself: a link
    seeds it once per session, then the widget leads. Ids no longer offered (the filters changed) are dropped.
    """
    options = list(labels)
    linked = [v for v in st.query_params.get_all(key) if v]
    if any(v not in labels for v in linked):
        _notice(f"The link had unknown {what}: {_listed([v for v in linked if v not in labels])}. They were ignored.")
    linked = [v for v in linked if v in labels]
    fallback = default if multi else [default]
    if key not in st.session_state:
        st.session_state[key] = (linked or fallback) if multi else (linked or fallback)[0]
    elif multi:
        st.session_state[key] = [v for v in st.session_state[key] if v in labels]
    elif st.session_state[key] not in labels:
        st.session_state[key] = fallback[0]
    common = dict(format_func=labels.__getitem__, key=key, persist_state="session", **kwargs)
    picked = st.multiselect(label, options, **common) if multi else st.selectbox(label, options, **common)
    st.query_params[key] = picked if multi else [picked]
    return picked


def number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    """A number for a card: thousands separators, '–' when unknown."""
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


def card(column, label: str, value: str, about: str, help: str | None = None) -> None:
    """A KPI card that names what its number is about (a hashtag, an hour) under the number, on every screen:
    a tooltip is out of reach on a phone. `about` is data: shown as written."""
    with column.container(border=True):
        st.metric(label, value, help=help)
        st.caption(markdown_text(about))


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
    "rallies": st.column_config.NumberColumn("Rallies", format=_COUNT),
    "as_of": st.column_config.DatetimeColumn("As of", help=AS_OF_HELP, format="D MMM YYYY, HH:mm"),
    "tweets_24h": st.column_config.NumberColumn("Last 24 h", help="Tweets in the 24 h to as of", format=_COUNT),
    "tweets_prev_24h": st.column_config.NumberColumn("24 h before", format=_COUNT),
    "growth_24h_pct": st.column_config.NumberColumn("24 h growth", format="%+.1f%%"),
    "tweets_7d": st.column_config.NumberColumn("Last 7 days", help="Tweets in the 168 h to as of", format=_COUNT),
    "tweets_prev_7d": st.column_config.NumberColumn("7 days before", format=_COUNT),
    "growth_7d_pct": st.column_config.NumberColumn("7-day growth", format="%+.1f%%"),
}

STORE_COLUMNS = {
    "dataset": st.column_config.TextColumn("Dataset"),
    "file": st.column_config.TextColumn("File"),
    "size_kb": st.column_config.NumberColumn("Size (KB)", format="localized"),
    "last_saved": st.column_config.DatetimeColumn("Last saved (UTC)", format="YYYY-MM-DD HH:mm"),
    "versions_to_undo": st.column_config.NumberColumn("Earlier versions"),
}

METRICS_DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def how_computed() -> None:
    """The metric definitions of docs/metrics.md, one click away on every page."""
    with st.expander("How these numbers are computed", icon=":material/functions:"):
        st.markdown(METRICS_DOC.read_text(encoding="utf-8"))


_LOCAL = "D MMM YYYY, HH:mm"
COLUMNS = {
    **SUMMARY_COLUMNS,
    "rank": st.column_config.NumberColumn("#", width="small"),
    "space_id": st.column_config.TextColumn("Space"),
    "host": st.column_config.TextColumn("Host"),
    "title": st.column_config.TextColumn("Title"),
    "started_at": st.column_config.DatetimeColumn("Started", format=_LOCAL),
    "ended_at": st.column_config.DatetimeColumn("Ended", format=_LOCAL),
    "total_listeners": st.column_config.NumberColumn(
        "Reach", help="Total listeners: unique accounts that joined", format=_COUNT
    ),
    "peak_listeners": st.column_config.NumberColumn("Peak", help="Most listeners at once", format=_COUNT),
    "avg_listeners": st.column_config.NumberColumn("Average", help="Average listeners at once", format="%,.0f"),
    "retention_pct": st.column_config.NumberColumn("Retention", help="Average / total listeners", format="%.0f%%"),
    "listener_minutes": st.column_config.NumberColumn(
        "Listener-min", help="Average listeners × minutes", format="compact"
    ),
    "record_multiple": st.column_config.NumberColumn(
        "× record", help="Total listeners / the largest earlier Space (any party)", format="%.2f×"
    ),
    "is_record": st.column_config.CheckboxColumn("New record"),
    "benchmark_listeners": st.column_config.NumberColumn(
        "Party's usual", help="Trimmed mean total of the party's 20 most recent earlier Spaces", format="%,.0f"
    ),
    "overperforming": st.column_config.NumberColumn(
        "× usual", help="Total listeners / the party's usual (empty with fewer than 4 earlier Spaces)", format="%.1f×"
    ),
    "duration_min": st.column_config.NumberColumn("Minutes", format="%.0f"),
    "source_url": st.column_config.LinkColumn("Source", display_text="source"),
    "previous_record": st.column_config.NumberColumn("Previous record", format=_COUNT),
    "median_space_reach": st.column_config.NumberColumn("Median Space", format="%,.0f"),
    "compared": st.column_config.TextColumn(""),
    "hashtag": st.column_config.TextColumn("Hashtag"),
    "campaign": st.column_config.TextColumn("Campaign"),
    "date": st.column_config.DateColumn("Date", format="D MMM YYYY"),
    "period_start": st.column_config.DatetimeColumn("Hour", format=_LOCAL),
    "growth_pct": st.column_config.NumberColumn("Day growth", format="%+.1f%%"),
    "rolling_7d": st.column_config.NumberColumn("7-day avg", format="%,.0f"),
    "cumulative": st.column_config.NumberColumn("Cumulative", format=_COUNT),
    "trailing_mean": st.column_config.NumberColumn("14-day mean", format="%,.0f"),
    "spike_ratio": st.column_config.NumberColumn("× 14-day mean", format="%.1f×"),
    "is_spike": st.column_config.CheckboxColumn("Spike"),
    "share_of_party_pct": st.column_config.NumberColumn("Share of party", format="%.1f%%"),
    "hours_covered": st.column_config.NumberColumn("Hours", help="Hours of the day the data covers", format="%g"),
    "partial_day": st.column_config.CheckboxColumn("Partial day"),
    "peak_day": st.column_config.DateColumn("Peak day", format="D MMM"),
    "peak_day_tweets": st.column_config.NumberColumn("Peak-day tweets", format=_COUNT),
    "peak_hour": st.column_config.DatetimeColumn("Peak hour", format="D MMM, HH:mm"),
    "peak_hour_tweets": st.column_config.NumberColumn("Peak-hour tweets", format=_COUNT),
    "spike_days": st.column_config.NumberColumn("Spike days", format=_COUNT),
    "rally_id": st.column_config.TextColumn("Rally"),
    "city": st.column_config.TextColumn("City"),
    "venue": st.column_config.TextColumn("Venue"),
    "announcement": st.column_config.NumberColumn("Ann. #", help="1 = first announcement of this rally"),
    "announced_at": st.column_config.DatetimeColumn("Announced", format=_LOCAL),
    "starts_at": st.column_config.DatetimeColumn("Rally date", format=_LOCAL),
    "previous_starts_at": st.column_config.DatetimeColumn("Moved from", format=_LOCAL),
    "moved_days": st.column_config.NumberColumn("Moved (days)", format="%+.1f"),
    "lead_days": st.column_config.NumberColumn("Lead (days)", help="From announcement to rally", format="%.1f"),
    "is_current": st.column_config.CheckboxColumn("Current"),
    "reported_attendance": st.column_config.NumberColumn("Attendance", format=_COUNT),
    "announcements": st.column_config.NumberColumn("Announcements"),
    "first_announced_at": st.column_config.DatetimeColumn("First announced", format=_LOCAL),
    "lat": st.column_config.NumberColumn("Lat", format="%.2f"),
    "lon": st.column_config.NumberColumn("Lon", format="%.2f"),
    "event_type": st.column_config.TextColumn("Kind"),
    "event_id": st.column_config.TextColumn("Id"),
    "at": st.column_config.DatetimeColumn("When", format=_LOCAL),
    "baseline": st.column_config.NumberColumn("Usual day", help="Party tweets per day, 7 days before", format="%,.0f"),
    "after_24h": st.column_config.NumberColumn("First 24 h", format=_COUNT),
    "lift": st.column_config.NumberColumn("Lift", help="First 24 h / usual day", format="%.1f×"),
    "event": st.column_config.TextColumn("Key", help="The event's key, as in a link to this view"),
    "label": st.column_config.TextColumn("Event"),
    "window_before": st.column_config.NumberColumn(
        "7 d before", help="Party tweets in the 7 days before", format=_COUNT
    ),
    "window_after": st.column_config.NumberColumn("3 d after", help="Party tweets in the 3 days after", format=_COUNT),
    "peak_offset": st.column_config.NumberColumn("Peak at", help="Hours from the event", format="%+d h"),
    "peak_tweets": st.column_config.NumberColumn("Peak hour", help="Tweets in the busiest hour", format=_COUNT),
    "offset": st.column_config.NumberColumn("From event"),
    "measure": st.column_config.TextColumn("Measure"),
    "leader": st.column_config.TextColumn("Leads"),
    "participants": st.column_config.NumberColumn("Listeners", format=_COUNT),
    "authors": st.column_config.NumberColumn("Authors", format=_COUNT),
    "tweets_per_author": st.column_config.NumberColumn("Tweets / author", format="%.1f"),
    "top1pct_share_pct": st.column_config.NumberColumn(
        "Top 1 % share", help="Share of tweets by the most active 1 % of authors", format="%.0f%%"
    ),
    "top10_share_pct": st.column_config.NumberColumn(
        "Top 10 share", help="Share of tweets by the 10 most active authors", format="%.0f%%"
    ),
    "single_tweet_authors_pct": st.column_config.NumberColumn(
        "One-tweet authors", help="Authors with exactly one tweet", format="%.0f%%"
    ),
    "copy_burst_share_pct": st.column_config.NumberColumn(
        "In copy bursts", help="Share of tweets in a copy-paste burst", format="%.1f%%"
    ),
    "burst_id": st.column_config.NumberColumn("Burst", width="small"),
    "text": st.column_config.TextColumn("Text (first copy)", width="large"),
    "hashtags": st.column_config.TextColumn("Hashtags"),
    "accounts": st.column_config.NumberColumn("Accounts", format=_COUNT),
    "first_at": st.column_config.DatetimeColumn("First", format=_LOCAL),
    "last_at": st.column_config.DatetimeColumn("Last", format="HH:mm:ss"),
    "account_ids": st.column_config.TextColumn("Accounts (first 20)"),
}


def party_heading(data: Dataset, party: str) -> None:
    """The party's code in its colour, with its full name."""
    color = data.colors.get(party, OTHER_COLOR)  # validated #RRGGBB, so safe inside the style
    st.markdown(
        f'<span style="color:{color};font-size:1.5rem">●</span> '
        f"<b style='font-size:1.25rem'>{markdown_text(party)}</b> "
        f"<span style='color:#6B7079'>{markdown_text(data.names.get(party, ''))}</span>",
        unsafe_allow_html=True,
    )


# ---- The war room: what `pulse watch` writes ----------------------------------------------------------------------

LIVE_REFRESH_S = 30
RECENT_ALERTS = 3
ALERT_COLUMNS = {
    "alert_id": None,  # the machine key: in the CSV, not on screen
    "raised_at": st.column_config.DatetimeColumn("Raised", format=_LOCAL),
    "kind": st.column_config.TextColumn("Kind"),
    "party": st.column_config.TextColumn("Party"),
    "subject": st.column_config.TextColumn("About"),
    "value": st.column_config.NumberColumn("Value", format=_COUNT),
    "baseline": st.column_config.NumberColumn(
        "Compared with", help="The usual level (spike) or the record passed (Space)", format=_COUNT
    ),
    "message": st.column_config.TextColumn("Message", width="large"),
    "delivered": st.column_config.CheckboxColumn("Delivered", help="Taken by every webhook"),
    "error": st.column_config.TextColumn("Last delivery error"),
}


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
                figure = charts.space_audience(audience, tz, colors.get(space["party"], OTHER_COLOR))
                st.plotly_chart(figure, key=f"chart-live-{space['space_id']}", config={"displaylogo": False})
