"""What a page draws with: tables and charts with the CSV of their data, cards, headings, and the messages for
a user's errors and for an empty view."""

from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from pulse.charts.theme import OTHER_COLOR
from pulse.config import time_zone
from pulse.data.dataset import Dataset
from pulse.data.export import csv_bytes, export_name
from pulse.errors import PulseError
from pulse.escape import markdown_text
from pulse.metrics.filters import Filters
from pulse.metrics.recent import party_ranking
from pulse.metrics.spaces import vs_typical_pct
from pulse.ui.columns import COLUMNS
from pulse.ui.labels import number


@contextmanager
def user_errors():
    """Show errors a user can cause as a message and stop the page; never a traceback."""
    try:
        yield
    except PulseError as error:
        st.error(markdown_text(error), icon=":material/error:")
        st.stop()


VIEW = "_pulse_view"


def download_csv(frame: pl.DataFrame, name: str, label: str = "Download CSV") -> None:
    """A download button whose file is exactly what `python -m pulse export` writes for this table,
    named after the table and the view's filters so two downloads never overwrite each other."""
    view = st.session_state.get(VIEW, Filters())
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


# On a phone plotly's tools (the mode bar) covered the plot: narrow screens go without them (touch zooms anyway).
NARROW_SCREEN_STYLE = (
    "<style>@media (max-width: 640px) {[data-testid='stPlotlyChart'] .modebar-container {display: none}}</style>"
)


def chart(figure: go.Figure, name: str, data: pl.DataFrame | None) -> None:
    """A plotly chart (keyed by `name`) with the CSV of exactly the data it draws under it; None when a table
    on the page downloads that very data already (one download per distinct table)."""
    st.html(NARROW_SCREEN_STYLE)  # style only: Streamlit puts it where it takes no room
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
    shown: pl.DataFrame | None = None,
) -> None:
    """A table with readable headers and local times, and its CSV (times in UTC, as every export).

    `compact` columns mix units row by row (a head-to-head table), so they are shown short: 1.1M, 86.9.
    `columns` configures columns whose name means something else in this table than in COLUMNS.
    `shown`: the rows of `frame` to show, when a long table would send the browser more than anyone reads; the
    table says so, and its CSV has every row.
    """
    rows = frame if shown is None else shown
    local = rows.with_columns(pl.col(pl.Datetime("us", "UTC")).dt.convert_time_zone(tz))
    config = {c: COLUMNS[c] for c in frame.columns if c in COLUMNS}
    config |= {c: st.column_config.NumberColumn(c, format="compact") for c in compact}
    config |= columns or {}
    st.dataframe(local, hide_index=True, height=height, column_config=config, placeholder="–")
    if rows.height < frame.height:
        st.caption(f"{rows.height:,} of {frame.height:,} rows shown; the CSV has them all.")
    download_csv(frame, name)


def card(column, label: str, value: str, about: str, help: str | None = None) -> None:
    """A KPI card that names what its number is about (a hashtag, an hour) under the number, on every screen:
    a tooltip is out of reach on a phone. `about` is data: shown as written."""
    with column.container(border=True):
        st.metric(label, value, help=help)
        st.caption(markdown_text(about))


def benchmark_cards(benchmarks: pl.DataFrame) -> None:
    """One Space's reach, peak, average and retention (pulse.metrics.spaces.space_benchmarks: the Space, the median
    Space and the all-time record), each against the median Space, with both in its help."""
    this, median, record = benchmarks.rows(named=True)
    cards = st.columns(4)
    for slot, (column, label) in zip(
        cards,
        (
            ("total_listeners", "Reach"),
            ("peak_listeners", "Peak"),
            ("avg_listeners", "Average"),
            ("retention_pct", "Retention"),
        ),
        strict=True,
    ):
        value, typical = this[column], median[column]
        suffix, digits = ("%", 1) if column == "retention_pct" else ("", 0)
        slot.metric(
            label,
            number(value, digits, suffix),
            delta=None if (change := vs_typical_pct(value, typical)) is None else f"{change:+.0f}% vs median",
            help=f"{markdown_text(median['compared'])}: {number(typical, digits, suffix)} · all-time record: "
            f"{number(record[column], digits, suffix)}",
            border=True,
        )


METRICS_DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def how_computed() -> None:
    """The metric definitions of docs/metrics.md, one click away on every page."""
    with st.expander("How these numbers are computed", icon=":material/functions:"):
        st.markdown(METRICS_DOC.read_text(encoding="utf-8"))


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


def party_heading(data: Dataset, party: str) -> None:
    """The party's code in its colour, with its full name."""
    color = data.colors.get(party, OTHER_COLOR)  # validated #RRGGBB, so safe inside the style
    st.markdown(
        f'<span style="color:{color};font-size:1.5rem">●</span> '
        f"<b style='font-size:1.25rem'>{markdown_text(party)}</b> "
        f"<span style='color:#6B7079'>{markdown_text(data.names.get(party, ''))}</span>",
        unsafe_allow_html=True,
    )
