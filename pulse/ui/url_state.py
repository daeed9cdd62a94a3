"""The controls a link can set, kept in the URL: the shared sidebar filters (parties, period or custom dates,
hashtags) and each page's own choices, with a notice for what a link got wrong."""

from collections.abc import Callable
from contextlib import suppress
from datetime import date, timedelta

import polars as pl
import streamlit as st
from streamlit.errors import StreamlitAPIException
from streamlit.runtime.scriptrunner import get_script_run_ctx

from pulse.charts.theme import text_on
from pulse.data.dataset import Dataset
from pulse.escape import css_string, markdown_text
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import spellings
from pulse.metrics.recent import as_of, preset_dates
from pulse.ui.labels import window_label


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


def sidebar_filters(data: Dataset, hashtags: str | None = None) -> Filters:
    """The shared sidebar: parties, date range and, on the Hashtags page, its picker of hashtags ("hashtag") or
    whole campaigns ("campaign"), kept in the URL."""
    codes = data.party_codes
    names = data.names
    first, last = data_range(data)

    _notice_invalid("party", lambda v: v in codes, "parties")
    _notice_invalid("dates", lambda v: _is_date_within(v, first, last), "dates")
    _notice_invalid("period", lambda v: v in PERIODS, "periods")
    _note_page_switch()
    before = {key: st.session_state.get(key) for key in ("party", "period", *_PICKERS)}
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
        _party_chips(data.colors)
        start, end, hours = _period(data, first, last, before["period"])
        picked = _hashtag_picker(data, hashtags, before[hashtags]) if hashtags else {}
        st.caption(f"Days are cut in **{data.tz}**.")
    chosen = _persisted("party", before["party"], chosen)
    all_parties = len(chosen) == len(codes)
    return Filters(start, end, None if all_parties else tuple(chosen), hours=hours, **picked)


# The Hashtags page's picker by what its lines are (its URL key): label, placeholder, help.
_PICKERS = {
    "hashtag": ("Hashtags", "All hashtags", None),
    "campaign": (
        "Campaigns",
        "All campaigns",
        "A campaign is every spelling and script of one hashtag (data/hashtag_groups.csv): picking it picks them all.",
    ),
}


def _hashtag_picker(data: Dataset, by: str, before: list[str] | None) -> dict[str, tuple[str, ...] | None]:
    """Hashtags (`?hashtag=`) or whole campaigns (`?campaign=`), as Filters' keyword. What the other picker holds
    (an old link's `?lines=Campaigns&hashtag=...`, or the picks before Lines changed) is carried over: a hashtag
    as its whole campaign, a campaign as every hashtag of it."""
    pairs = spellings(data.hashtags.counts["hashtag"], data.hashtag_groups)  # hashtag, campaign
    for key in _PICKERS:
        _notice_invalid(key, lambda v, known=set(pairs[key]): v in known, f"{key}s")
    other = next(key for key in _PICKERS if key != by)
    carried = st.session_state.get(other) or st.query_params.get_all(other)
    if carried:
        chosen = st.session_state.get(by) or st.query_params.get_all(by)
        st.session_state[by] = sorted({*chosen, *pairs.filter(pl.col(other).is_in(carried))[by]})
        st.session_state.pop(other, None)
        # A picker writes the URL only when the user changes it: put the carried picks there, and take the other
        # picker's out. Streamlit refuses either for a key its last run's picker is bound to; the other picker's
        # key it drops itself after this run, as that picker is gone.
        with suppress(StreamlitAPIException):
            st.query_params[by] = st.session_state[by]
        with suppress(StreamlitAPIException):
            del st.query_params[other]
    label, placeholder, help_ = _PICKERS[by]
    options = pairs[by].unique().sort().to_list()
    picked = st.multiselect(
        label, options, key=by, bind="query-params", persist_state="session", placeholder=placeholder, help=help_
    )
    picked = _persisted(by, before, picked)
    return {f"{by}s": tuple(picked) if picked else None}


def _party_chips(colors: dict[str, str]) -> None:
    """The party filter's chips in each party's colour, so the sidebar reads like the charts' legends.
    Codes are data (escaped as CSS strings); colours are #RRGGBB, validated by the parties contract."""
    rules = (
        f".st-key-party [data-tag][aria-label={css_string(party)}]{{background-color:{color};color:{text_on(color)}}}"
        for party, color in colors.items()
    )
    st.html(f"<style>{''.join(rules)}</style>")


_PAGE, _SWITCHED = "_pulse_page", "_pulse_switched"


def _note_page_switch() -> None:
    """Remember whether this run is the first on a page after another page (or the session's first)."""
    ctx = get_script_run_ctx()
    page = ctx.page_script_hash if ctx else ""
    st.session_state[_SWITCHED] = st.session_state.get(_PAGE) != page
    st.session_state[_PAGE] = page


# Sidebar periods: the hours before the data's as_of, exactly (None: all the data), or "Custom" local dates.
PERIODS = {"Last 24 hours": 24, "Last 7 days": 168, "Last 30 days": 720, "All": None, "Custom": None}
_APPLIED = "_pulse_dates"  # the last complete custom range, what the pages show
_REORDERED = "_pulse_reordered_dates"  # a link's reversed range, put in order on the next run


def _period(data: Dataset, first: date, last: date, before: str | None) -> tuple[date, date, tuple | None]:
    """The period control and, for "Custom", the date range: the local dates the pages show and, for a preset,
    its hours [as_of − hours, as_of) in UTC (pulse.metrics.filters.Filters)."""
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
        return *(st.session_state.get(_APPLIED) or (first, last)), None
    end, hours = as_of(data.hashtags.counts, None, data.tz), PERIODS[period]
    start_day, end_day = preset_dates(hours, end, first, last, data.tz)
    if hours is None or end is None:
        return start_day, end_day, None
    st.caption(
        f"{period}: {window_label(end, hours, data.tz)}, exactly, in every table and chart; a daily chart shows "
        "the days these hours touch, the partial ones hollow."
    )
    return start_day, end_day, (end - timedelta(hours=hours), end)


SHORT_RANGE_DAYS = 2  # a range of this many local days or fewer is drawn by the hour


def is_short(filters: Filters) -> bool:
    """Whether the date range is short enough to draw by the hour (a day, or the last 24 hours)."""
    return (
        filters.start is not None and filters.end is not None and (filters.end - filters.start).days < SHORT_RANGE_DAYS
    )


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
