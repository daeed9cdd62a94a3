"""What a page draws with: tables and charts with the CSV of their data, cards, headings, and the messages for
a user's errors and for an empty view."""

from contextlib import contextmanager
from datetime import datetime
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
from pulse.metrics.summary import HEAD_TO_HEAD
from pulse.ui.columns import COLUMNS
from pulse.ui.labels import USUAL_HELP, as_of_label, data_age, day_label, growth, number, short, usual_multiple


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
    columns: dict | None = None,
    shown: pl.DataFrame | None = None,
) -> None:
    """A table with readable headers and local times, and its CSV (times in UTC, as every export).

    `columns` configures columns whose name means something else in this table than in COLUMNS.
    `shown`: the rows of `frame` to show, when a long table would send the browser more than anyone reads; the
    table says so, and its CSV has every row.
    """
    rows = frame if shown is None else shown
    local = rows.with_columns(pl.col(pl.Datetime("us", "UTC")).dt.convert_time_zone(tz))
    config = {c: COLUMNS[c] for c in frame.columns if c in COLUMNS}
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
    Space and the all-time record), with the median Space's and the record's in its help. How far above usual a
    Space is has one measure, its party's usual (_usual_delta), not a distance from the median."""
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
        suffix, digits = ("%", 1) if column == "retention_pct" else ("", 0)
        slot.metric(
            label,
            number(this[column], digits, suffix),
            help=f"{markdown_text(median['compared'])}: {number(median[column], digits, suffix)} · all-time record: "
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


def _usual_delta(multiple: float | None, party: str, so_far: bool = False) -> dict:
    """st.metric's delta for a Space against its party's usual (labels.usual_multiple): green above it, red below,
    with its definition in the help."""
    if multiple is None:
        return {"help": USUAL_HELP}
    above = multiple >= 1
    return {
        "delta": markdown_text(usual_multiple(multiple, party, so_far)),
        "delta_color": "green" if above else "red",
        "delta_arrow": "up" if above else "down",
        "help": USUAL_HELP,
    }


def head_to_head(frame: pl.DataFrame, parties: list[str]) -> None:
    """The head-to-head table (pulse.metrics.summary.head_to_head): each row in its own unit, growth as everywhere
    (+24.9%), shares with one decimal, counts short (1.07M) so that two parties fit a phone; its CSV keeps the
    numbers."""
    kinds = {label: column for column, label in HEAD_TO_HEAD}

    def shown(measure: str, value: float | None) -> str:
        column = kinds[measure]
        if column.startswith("growth_"):
            return growth(value)
        return number(value, 1, "%") if column.endswith("_pct") else short(value)

    rows = [
        {**row, **{p: shown(row["measure"], row[p]) for p in parties if p in row}}
        for row in frame.iter_rows(named=True)
    ]
    config = {c: COLUMNS[c] for c in ("measure", "leader")} | {
        p: st.column_config.TextColumn(p, alignment="right") for p in parties
    }
    st.dataframe(
        pl.DataFrame(rows, schema=dict.fromkeys(frame.columns, pl.String)),
        hide_index=True,
        column_config=config,
        placeholder="–",
    )
    download_csv(frame, "head_to_head")


def latest_space(space: dict, tz: str) -> None:
    """The Overview's latest Space (pulse.metrics.summary.today): its listeners (the peak so far while live)
    against its party's usual, who held it and when, and a link to it on the Spaces page."""
    st.metric(
        "Latest Space" + (" · live, peak so far" if space["live"] else ""),
        number(space["listeners"]),
        **_usual_delta(space["usual_multiple"], space["party"], so_far=space["live"]),
    )
    title = space.get("title") or space["host"]
    st.text(f"{title} · {space['party']} · {day_label(space['started_at'], tz)}")
    st.page_link(
        "pages/1_Spaces.py", label="On Spaces", icon=":material/podcasts:", query_params={"space": space["space_id"]}
    )


def data_age_note(end: datetime | None, tz: str) -> None:
    """When the data ends more than a day before the server's clock, say how long ago: old data must not read as
    current."""
    if end is not None and (age := data_age(end)) is not None:
        st.info(
            f"The data ends {as_of_label(end, tz)}, **{age} ago**: recent figures count back from there, not from "
            "today.",
            icon=":material/history:",
        )
