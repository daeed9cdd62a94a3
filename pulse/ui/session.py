"""Page setup and navigation, and the data a page draws: loaded and computed once per change of the stored
files (cached for every session), with this session's own uploads in place of the stored datasets they replace."""

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import polars as pl
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from pulse.access import VIEWER
from pulse.config import BUNDLED_DATA_DIR, claim_tolerances, data_dir, is_sample, time_zone
from pulse.data.contract import Contract
from pulse.data.dataset import Dataset, RawTweets
from pulse.data.export import export_name, xlsx_bytes
from pulse.data.load import load_author_days, load_data_dir, load_raw_tweets, with_uploads
from pulse.data.store import Store
from pulse.metrics.claims import Tolerances, claim_verdicts
from pulse.metrics.drivers import (
    DriverTables,
    author_totals,
    burst_min_accounts,
    keyed_days,
    raw_author_days,
    view_driver_tables,
)
from pulse.metrics.events import describe_events, event_windows, events
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import HashtagTables, hashtag_tables
from pulse.metrics.recent import as_of
from pulse.metrics.summary import Tables, compute_tables, export_tables
from pulse.ui import access
from pulse.ui.settings import author_ids_key
from pulse.ui.url_state import sidebar_filters
from pulse.ui.widgets import VIEW, data_age_note, stop_with, user_errors

# A file served by the app itself: a Material or emoji icon is fetched from an outside host (a font or emoji
# CDN), which fails offline and tells that host who opened the dashboard.
PAGE_ICON = Path(__file__).resolve().parents[1] / "assets" / "icon.png"


def setup_page(title: str, needed: str | None = VIEWER) -> None:
    """The page's title and icon, after checking on the server that the visitor's role includes `needed` (None:
    the page checks who may see it itself, as the Display page does for its share links)."""
    _leave_old_multipage_mode()
    st.set_page_config(page_title=f"{title} · Campaign Pulse", page_icon=str(PAGE_ICON), layout="wide")
    if needed is not None:
        access.require(needed)


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


def stored_view(filters: Filters) -> tuple[Dataset, Tables]:
    """The stored data alone (no session's uploads: a display shows what everyone sees) and its tables for these
    filters, each computed once per version of the stored files."""
    directory = data_dir()
    key = (str(directory), time_zone(), Store(directory).fingerprint())
    return _load(*key), _tables(*key, filters)


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


# Which of the sample's figures are reported facts and which are generated.
SAMPLE_NOTES = BUNDLED_DATA_DIR / "README.md"


def sample_banner() -> None:
    """While the bundled sample is in view, say on every page that it is illustrative, with its notes one click
    away; a data directory of one's own shows nothing."""
    if not is_sample(data_dir()):
        return
    with st.container(border=True, key="sample-banner"):
        st.markdown(
            ":material/science: **Sample data from 2022, for illustration.** Figures with a source link are reported "
            "facts; everything else is generated and must not be quoted."
        )
        with st.expander("What is reported, what is generated"):
            st.markdown(sample_notes())


def sample_notes() -> str:
    """data/README.md as the banner shows it: without its title, its sections below the page's own headings (the
    page's title stays its first heading)."""
    _, body = SAMPLE_NOTES.read_text(encoding="utf-8").split("\n", 1)
    return re.sub(r"^(##+) ", r"##\1 ", body, flags=re.MULTILINE).strip()


# Every page once, the overview first (its address is the app's root). Paths are relative to dashboard.py.
# No page icons: a page's icon becomes the tab's icon, and a material icon there is fetched from Google's font
# host (a request to another host, which fails offline); the tab keeps the app's own icon instead.
PAGES = (
    ("pages/0_Overview.py", "Overview"),
    ("pages/1_Spaces.py", "Spaces"),
    ("pages/2_Hashtags.py", "Hashtags"),
    ("pages/3_Rallies.py", "Rallies"),
    ("pages/4_Compare.py", "Compare"),
    ("pages/8_Claims.py", "Claims"),
    ("pages/5_Data.py", "Data"),
    ("pages/6_Alerts.py", "Alerts"),
)
# Listed for admins only, and only with sign-in on: without it nobody is an admin (`python -m pulse audit` reads it).
ADMIN_PAGES = (("pages/7_Audit.py", "Audit"),)
# A screen that runs by itself (pulse.ui.display): listed for readers; a share link opens it and nothing else.
DISPLAY_PAGE = ("pages/9_Display.py", "Display")


def navigation(who: access.Visitor):
    """The sidebar's page list (st.navigation) for this visitor's role, the overview as the default page. A visitor
    who may not read gets one hidden page, the sign-in or no-access page: any page's URL then falls back to it."""
    if not who.may(VIEWER) and st.query_params.get("link"):  # a share link grants its display, no other page
        path, title = DISPLAY_PAGE  # at its own address, and at the root (a default page's address)
        both = [st.Page(path, title=title, url_path="link", default=True), st.Page(path, title=title, url_path=title)]
        return st.navigation(both, position="hidden")
    if not who.may(VIEWER):
        alone = access.no_access_page if who.signed_in else access.sign_in_page
        title = "No access" if who.signed_in else "Sign in"
        return st.navigation([st.Page(alone, title=title, url_path="signin", default=True)], position="hidden")
    listed = PAGES + (DISPLAY_PAGE,) + (ADMIN_PAGES if access.is_admin() else ())
    return st.navigation(
        [st.Page(path, title=title, url_path=title, default=i == 0) for i, (path, title) in enumerate(listed)]
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


# A war room's new directory, before the watcher's first fetch (or anyone's first upload).
NOTHING_STORED = (
    "Nothing is stored in this data directory yet. `python -m pulse watch --config watch.toml --data DIR` adds "
    "hashtag counts at once and your hosts' Spaces as they go live; the Data page takes files of Spaces, hashtags and "
    "rallies (their columns are in docs/data.md)."
)


def page_data(hashtags: str | None = None) -> tuple[Dataset, Filters, Tables]:
    """What every analysis page starts with: the data, the shared sidebar filters and the tables they give;
    `hashtags` ("hashtag" or "campaign") adds the Hashtags page's picker (url_state.sidebar_filters)."""
    with user_errors():
        data = load_data()
        if data.is_empty:
            stop_with(NOTHING_STORED)
        filters = sidebar_filters(data, hashtags=hashtags)
        st.session_state[VIEW] = filters  # download file names carry the view's filters
        # No page reads the export tables' hashtag filters (the Hashtags page has its own series): leaving them out
        # keeps one cached set of tables per parties and dates, whichever hashtags are picked.
        unpicked = replace(filters, hashtags=None, campaigns=None)
        shown = tables(data, unpicked)
    directory = data_dir()
    fingerprint = Store(directory).fingerprint()
    own_uploads = bool(st.session_state.get(SESSION_UPLOADS))
    with user_errors():
        tolerances = claim_tolerances()

    def workbook() -> bytes:
        # Run on the click, outside the page's script (no st.* here): who drives each hashtag is only computed then.
        drivers = _driver_tables(str(directory), data.tz, fingerprint, unpicked, "hashtag", burst_min_accounts())
        ledger = _ledger(data, tolerances) if own_uploads else _claims(str(directory), data.tz, fingerprint, tolerances)
        return xlsx_bytes(export_tables(shown, drivers, author_ids_key, ledger), data.tz)

    data_age_note(as_of(data.hashtags.counts, None, data.tz), data.tz)
    with st.sidebar:
        st.download_button(
            "Excel workbook of this view",
            workbook,
            file_name=export_name("pulse-export", ".xlsx", filters.start, filters.end, filters.parties),
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="download-workbook",
            icon=":material/table_view:",
            on_click="ignore",
            help="Every table of `python -m pulse export` for these filters, a sheet each",
        )
    return data, filters, shown


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
    # The rollup's per-author day counts (pulse.rollup), keyed once; shared and read-only, as the raw tweets are.
    days = load_author_days(Store(Path(directory)))
    return None if days is None else keyed_days(days)


@st.cache_data(max_entries=32, show_spinner="Finding who drives each hashtag…")
def _driver_tables(
    directory: str, tz: str, fingerprint: tuple, filters: Filters, by: str, min_accounts: int
) -> DriverTables | None:
    raw = _raw_tweets(directory, fingerprint)
    days = _author_days(directory, fingerprint) if by == "hashtag" else None  # not read for campaigns
    groups = _load(directory, tz, fingerprint).hashtag_groups
    raw_days = totals = None
    if raw is not None and days is None and by == "hashtag" and filters.hours is None:
        raw_days = _raw_author_days(directory, tz, fingerprint)
    if by == "hashtag" and (days is not None or raw_days is not None):
        totals = _author_totals(directory, tz, fingerprint, "rollup" if days is not None else "raw")
    rows = raw.rows if raw is not None else None
    return view_driver_tables(rows, days, groups, filters, tz, by, min_accounts, raw_days, totals)


@st.cache_resource(max_entries=1, show_spinner=False)
def _author_totals(directory: str, tz: str, fingerprint: tuple, source: str) -> pl.DataFrame:
    # Each author's tweets over every day of the day counts in use (the rollup's, else the raw rows'), once per data
    # version: a whole-season view reads them instead of summing millions of author-days again.
    days = _author_days(directory, fingerprint) if source == "rollup" else _raw_author_days(directory, tz, fingerprint)
    return author_totals(days)


@st.cache_resource(max_entries=1, show_spinner="Counting each author's tweets…")
def _raw_author_days(directory: str, tz: str, fingerprint: tuple) -> pl.DataFrame | None:
    # The raw tweets' per-author day counts, once per data version: every whole-day view per hashtag sums them.
    raw = _raw_tweets(directory, fingerprint)
    return None if raw is None else raw_author_days(raw.rows, tz)


def _ledger(data: Dataset, tolerances: tuple) -> pl.DataFrame:
    """The claims of `data` with their verdicts; raw tweets are read only when a claim counts unique authors."""
    authors = None
    if (data.claims["metric"] == "unique_authors").any():
        directory = data_dir()
        raw = _raw_tweets(str(directory), Store(directory).fingerprint())
        authors = None if raw is None else raw.rows
    return claim_verdicts(data, authors, Tolerances(*tolerances))


@st.cache_data(max_entries=8, show_spinner="Checking the claims…")
def _claims(directory: str, tz: str, fingerprint: tuple, tolerances: tuple) -> pl.DataFrame:
    return _ledger(_load(directory, tz, fingerprint), tolerances)


def claims_ledger(data: Dataset) -> pl.DataFrame:
    """Every claim with its verdict (pulse.metrics.claims), computed once per data version and tolerances."""
    with user_errors():
        return _for(data, _claims, _ledger, claim_tolerances())


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


def aligned_windows(data: Dataset, chosen: list[str], hourly: bool) -> pl.DataFrame:
    """Party volume around the chosen events (keys from pulse.metrics.events.event_key), computed once per choice."""
    return _for(data, _event_windows, _windows, tuple(chosen), hourly)
