"""The one chart template at phone width: legends below, titles that wrap, time axes that span the data, labels
that do not sit on other markers."""

from datetime import date, datetime

import plotly.graph_objects as go
import plotly.io as pio
import polars as pl
import pytest

from pulse.charts.hashtags import hashtag_volume
from pulse.charts.rallies import MAP_PX_PER_DEGREE, map_labels, rally_map, rally_timeline
from pulse.charts.theme import LEGEND_LINE_PX, TEMPLATE, TITLE_CHARS, finish, series_colors
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
    palette = series_colors(series, "hashtag", bundled.colors)
    fig = hashtag_volume(series, "hashtag", "tweets", palette, TZ, names=bundled.names)
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
    fig = hashtag_volume(series, "hashtag", "tweets", {"ImranKhan": "#C8102E", "PTIPowerShow": "#E8606E"}, TZ)
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
