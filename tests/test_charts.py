"""The one chart template at phone width: legends below, titles that wrap, time axes that span the data, labels
that do not sit on other markers."""

from datetime import date, datetime

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest

from pulse.charts.compare import aligned_windows
from pulse.charts.hashtags import hashtag_volume
from pulse.charts.rallies import MAP_PX_PER_DEGREE, map_labels, rally_map, rally_timeline
from pulse.charts.theme import (
    LEGEND_LINE_PX,
    MARKERS_PER_LINE,
    OTHER_COLOR,
    TEMPLATE,
    TITLE_CHARS,
    LineStyle,
    finish,
    series_styles,
    text_on,
)
from pulse.data.load import load_data_dir
from pulse.metrics.filters import Filters
from pulse.metrics.rallies import rallies_in, rally_history
from tests.conftest import BUNDLED

TZ = "Asia/Karachi"


@pytest.fixture(scope="module")
def bundled():
    return load_data_dir(BUNDLED, TZ)


def test_the_template_puts_the_legend_below_and_the_title_above_the_plot():
    layout = pio.templates[TEMPLATE].layout
    assert (layout.legend.orientation, layout.legend.yref, layout.legend.y, layout.legend.yanchor) == (
        "h",
        "container",
        0,
        "bottom",
    )
    assert layout.title.automargin is True


def test_long_titles_wrap_to_a_phones_width():
    fig = finish(go.Figure(), "Announcements and rally dates: lead time and reschedules", "", "")
    assert fig.layout.title.text == "Announcements and rally dates: lead time and<br>reschedules"  # 44 + 11
    assert all(len(line) <= TITLE_CHARS for line in fig.layout.title.text.split("<br>"))


def test_a_time_axis_spans_the_data_not_the_labels_beside_it():
    fig = go.Figure()
    fig.add_scatter(x=[datetime(2022, 4, 1), datetime(2022, 4, 26)], y=[1, 2])
    fig.add_scatter(x=[None], y=[None])  # a legend-only entry
    # A label to the right of the last point: plotly's autorange would stretch the axis to fit it.
    fig.add_annotation(x=datetime(2022, 4, 26), y=2, text="moved: 23 → 24 → 21 Apr", xanchor="left", showarrow=False)
    fig = finish(fig, "t", "", "")
    # 25 days, padded by 4 % (1 day) on each side.
    assert list(fig.layout.xaxis.range) == ["2022-03-31T00:00:00.000000", "2022-04-27T00:00:00.000000"]


def test_numbers_and_categories_keep_plotlys_own_range():
    numbers = go.Figure(go.Scatter(x=[-168, 72], y=[1, 2]))
    categories = go.Figure(go.Bar(x=["PTI", "PPP"], y=[1, 2]))
    assert finish(numbers, "t", "", "").layout.xaxis.range is None
    assert finish(categories, "t", "", "").layout.xaxis.range is None


def test_the_rally_timeline_ends_with_the_last_rally(bundled):
    rallies = rallies_in(bundled.rallies, Filters(), TZ)
    fig = rally_timeline(rally_history(bundled.rallies, rallies["rally_id"]), bundled.colors, TZ)
    start, end = (datetime.fromisoformat(t) for t in fig.layout.xaxis.range)
    # The last rally (Rawalpindi, 28 May) plus 4 % of the three months shown: not January 2023.
    assert datetime(2022, 5, 28) < end < datetime(2022, 6, 2)
    assert datetime(2022, 2, 25) < start < datetime(2022, 3, 5)
    labels = [a.text for a in fig.layout.annotations]
    assert "PTI · Lahore · 21 Apr · moved: 23 → 24 → 21 Apr" in labels
    assert fig.layout.yaxis.showticklabels is False  # the names are inside the plot, above each row


def test_map_labels_go_where_they_cover_no_other_marker():
    # Alpha's name to the right would cover Beta's marker 1.5° (31 px on a phone) east of it: it goes left.
    cities = pl.DataFrame({"city": ["Alpha", "Beta"], "lat": [30.0, 30.0], "lon": [70.0, 71.5], "radius": [10.0, 10.0]})
    (alpha, beta) = map_labels(cities)
    px = 1 / MAP_PX_PER_DEGREE
    assert alpha[0] == "Alpha" and alpha[3] == "middle left"
    assert alpha[1:3] == pytest.approx((30.0, 70.0 - 13 * px))  # 10 px radius and a 3 px gap
    assert beta[0] == "Beta" and beta[3] == "middle right"
    assert beta[1:3] == pytest.approx((30.0, 71.5 + 13 * px))


def test_bundled_rally_map_labels_peshawar_and_not_on_faisalabad(bundled):
    rallies = rallies_in(bundled.rallies, Filters(), TZ)
    fig = rally_map(rallies, bundled.colors, TZ)
    labels = {t.text[0]: t for t in fig.data if t.mode == "text"}
    assert "<b>Peshawar</b>" in labels
    khan = labels["<b>Dera Ismail Khan</b>"]
    # Faisalabad (73.1° E) is east of Dera Ismail Khan (70.9° E) on its latitude: the name is written west.
    assert khan.textposition == "middle left" and khan.lon[0] < 70.9


def test_hashtag_legend_is_grouped_under_each_partys_name(bundled):
    series = pl.DataFrame(
        {
            "hashtag": ["ImranKhan", "ImranKhan", "PTIPowerShow", "PMLNJalsa"],
            "party": ["PTI", "PTI", "PTI", "PML-N"],
            "date": [date(2022, 4, 1), date(2022, 4, 2), date(2022, 4, 1), date(2022, 4, 1)],
            "tweets": [5, 6, 7, 8],
        }
    )
    styles = series_styles(series, "hashtag", bundled.colors)
    fig = hashtag_volume(series, "hashtag", "tweets", styles, TZ, names=bundled.names)
    groups = [(t.name, t.legendgroup, t.legendrank, t.legendgrouptitle.text) for t in fig.data]
    assert groups == [
        ("ImranKhan", "ImranKhan", 0, "Pakistan Tehreek-e-Insaf"),
        ("PTIPowerShow", "PTIPowerShow", 0, None),
        ("PMLNJalsa", "PMLNJalsa", 1, "Pakistan Muslim League (N)"),
    ]
    assert fig.layout.legend.groupclick == "togglegroup"  # a click hides a series with its group, nothing more
    # Room below for a one-entry-per-line legend on a phone: 3 lines, 2 party titles and the spike ring.
    assert fig.layout.height == 460 + LEGEND_LINE_PX * 6


def test_a_hashtags_partial_day_hides_with_it_from_the_legend():
    series = pl.DataFrame(
        {
            "hashtag": ["ImranKhan", "ImranKhan", "PTIPowerShow", "PTIPowerShow"],
            "party": ["PTI"] * 4,
            "date": [date(2022, 5, 31), date(2022, 6, 1)] * 2,
            "tweets": [5, 2, 7, 1],
            "hours_covered": [24.0, 5.0, 24.0, 5.0],
            "partial_day": [False, True, False, True],
        }
    )
    styles = {"ImranKhan": LineStyle("#C8102E"), "PTIPowerShow": LineStyle("#E8606E", "dash", "square")}
    fig = hashtag_volume(series, "hashtag", "tweets", styles, TZ)
    unlisted = [t for t in fig.data if t.showlegend is False]
    # Per hashtag: the dotted segment to the partial day and its hollow marker, in the hashtag's own legend group.
    assert sorted((t.legendgroup, t.mode) for t in unlisted) == [
        ("ImranKhan", "lines"),
        ("ImranKhan", "markers"),
        ("PTIPowerShow", "lines"),
        ("PTIPowerShow", "markers"),
    ]
    assert {t.name: t.legendgroup for t in fig.data if t.showlegend is not False} == {
        "ImranKhan": "ImranKhan",
        "PTIPowerShow": "PTIPowerShow",
    }


def test_a_partys_lines_differ_by_dash_and_marker_as_well_as_by_shade():
    lines = pl.DataFrame(
        {"hashtag": ["a", "b", "c", "d", "Other hashtags"], "party": ["PTI", "PTI", "PTI", "PPP", None]}
    )
    styles = series_styles(lines, "hashtag", {"PTI": "#D62828", "PPP": "#2D2A32"})
    assert styles == {
        "a": LineStyle("#D62828", "solid", "circle"),
        # half-way to white: 214 + 41 / 2 = 234.5 -> 234 (to even), 40 + 215 / 2 = 147.5 -> 148
        "b": LineStyle("#EA9494", "dash", "square"),
        "c": LineStyle("#801818", "longdash", "diamond"),  # 40 % toward black: 214 x 0.6 = 128.4, 40 x 0.6 = 24
        "d": LineStyle("#2D2A32", "solid", "circle"),  # another party's first line
        "Other hashtags": LineStyle(OTHER_COLOR),
    }


def test_the_hashtag_chart_draws_each_line_in_its_style_and_the_rest_last():
    days = pl.date_range(date(2021, 1, 1), date(2022, 2, 4), eager=True)  # 400 days: 1,200 points in all
    series = pl.DataFrame(
        {
            "hashtag": ["a"] * 400 + ["b"] * 400 + ["Other hashtags"] * 400,
            "party": ["PTI"] * 800 + [None] * 400,
            "date": pl.concat([days] * 3),
            "tweets": range(1200),
        }
    )
    fig = hashtag_volume(series, "hashtag", "tweets", series_styles(series, "hashtag", {"PTI": "#D62828"}), TZ)
    drawn = {t.name: (t.mode, t.line.color, t.line.dash, t.marker.symbol, t.marker.maxdisplayed) for t in fig.data}
    # SVG lines (plotly express draws WebGL above 1,000 points), with a few markers spread along each
    assert {t.type for t in fig.data} == {"scatter"}
    assert drawn == {
        "a": ("lines+markers", "#D62828", "solid", "circle", MARKERS_PER_LINE),
        "b": ("lines+markers", "#EA9494", "dash", "square", MARKERS_PER_LINE),
        "Other hashtags": ("lines+markers", OTHER_COLOR, "solid", "circle", MARKERS_PER_LINE),
    }
    other = fig.data[2]
    assert (other.legendrank, other.legendgrouptitle.text) == (1, "All parties")  # after PTI's group
    assert other.customdata[0][1] == "the rest, summed"  # what the hover says in place of a party
    assert fig.layout.legend.orientation == "v"  # each party's lines under its name, one to a line
    assert fig.layout.height == 460 + LEGEND_LINE_PX * (3 + 2 + 1)  # 3 lines, 2 group titles, the spike ring


def test_two_events_of_one_party_differ_by_dash_and_marker():
    windows = pl.DataFrame(
        {
            "label": ["Space 20 Apr"] * 2 + ["Rally 21 Apr"] * 2,
            "party": ["PTI"] * 4,
            "offset": [0, 1, 0, 1],
            "tweets": [5, 6, 7, 8],
        }
    )
    fig = aligned_windows(windows, series_styles(windows, "label", {"PTI": "#D62828"}), hourly=False)
    assert [(t.name, t.line.color, t.line.dash, t.marker.symbol) for t in fig.data] == [
        ("Space 20 Apr", "#D62828", "solid", "circle"),
        ("Rally 21 Apr", "#EA9494", "dash", "square"),
    ]
    assert list(fig.layout.xaxis.range) == [-0.3, 1.3]  # the days shown, not plotly's padding for the markers


def test_a_hashtag_every_party_uses_is_a_line_per_party():
    series = pl.DataFrame(
        {
            "hashtag": ["Pakistan", "Pakistan", "Pakistan", "Pakistan", "ImranKhan", "ImranKhan"],
            "party": ["PTI", "PTI", "PML-N", "PML-N", "PTI", "PTI"],
            "date": [date(2022, 4, 1), date(2022, 4, 2)] * 3,
            "tweets": [5, 6, 50, 60, 7, 8],
        }
    )
    styles = series_styles(series, "hashtag", {"PTI": "#D62828", "PML-N": "#1B8A3A"})
    assert list(styles) == ["Pakistan · PTI", "ImranKhan", "Pakistan · PML-N"]
    fig = hashtag_volume(series, "hashtag", "tweets", styles, TZ)
    assert {t.name: list(t.y) for t in fig.data} == {
        "Pakistan · PTI": [5, 6],
        "Pakistan · PML-N": [50, 60],
        "ImranKhan": [7, 8],
    }


def test_text_on_a_party_colour_is_white_or_dark_whichever_reads_better():
    assert text_on("#D62828") == "#FFFFFF"  # PTI red: 5.0:1 with white, 3.0:1 with the dark grey
    assert text_on("#F28C28") == "#262730"  # MQM-P orange: 2.5:1 with white, 6.0:1 with the dark grey
