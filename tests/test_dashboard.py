"""The overview page (through dashboard.py, the app's entry) on the bundled data, through Streamlit's AppTest.

Expected numbers come from the bundled CSV files with plain polars, not through pulse.metrics or pulse.metrics.recent.
"""

import json
from datetime import date
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import BUNDLED, ROOT, utc

# The bundled hashtags end with the hour from 23:00 UTC on 31 May: as_of is 1 June 00:00 UTC, 05:00 in Pakistan.
AS_OF = utc(2022, 6, 1)
TZ = "Asia/Karachi"


def run_overview(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def hashtags() -> pl.DataFrame:
    return pl.read_csv(BUNDLED / "hashtags.csv", try_parse_dates=True)


def tweets_between(start, end) -> dict[str, int]:
    inside = hashtags().filter((pl.col("period_start") >= start) & (pl.col("period_start") < end))
    return dict(inside.group_by("party").agg(pl.col("tweets").sum()).iter_rows())


def ranking(at: AppTest) -> pl.DataFrame:
    """The overview's first table: the parties ranked by their last 24 hours, with the last 7 days beside."""
    return pl.from_pandas(at.dataframe[0].value)


def test_overview_opens_with_the_parties_ranked_by_the_last_24_hours_and_the_week_beside():
    at = run_overview()
    assert not at.exception
    assert at.subheader[0].value == "Last 24 hours · to 1 Jun 2022 05:00 PKT"  # not this year: with the year
    # Data years old says so, whatever today's date (tests/test_labels.py checks the words).
    assert at.info[0].value.startswith("The data ends 1 Jun 2022 05:00 PKT, **") and " ago**" in at.info[0].value
    day = tweets_between(utc(2022, 5, 31), AS_OF)
    before = tweets_between(utc(2022, 5, 30), utc(2022, 5, 31))
    week = tweets_between(utc(2022, 5, 25), AS_OF)
    week_before = tweets_between(utc(2022, 5, 18), utc(2022, 5, 25))
    shown = ranking(at)
    assert shown.columns == ["party", "tweets_24h", "growth_24h_pct", "tweets_7d", "growth_7d_pct"]
    # OTHER has no hashtags: no row. The leader of the last 24 hours first.
    assert shown["party"].to_list() == sorted(day, key=day.get, reverse=True)
    assert shown["tweets_24h"].to_list() == [day[p] for p in shown["party"]]
    assert shown["tweets_7d"].to_list() == [week[p] for p in shown["party"]]
    pti = shown.row(0, named=True)
    assert pti["party"] == "PTI" and pti["tweets_7d"] == 1_067_572  # seven whole days to as_of, not a 5-hour day
    assert pti["growth_24h_pct"] == pytest.approx((day["PTI"] - before["PTI"]) / before["PTI"] * 100)
    assert pti["growth_7d_pct"] == pytest.approx((week["PTI"] - week_before["PTI"]) / week_before["PTI"] * 100)
    assert not [m for m in at.metric if m.label in day]  # no card per party: the table reads on a phone
    captions = [c.value for c in at.caption]
    assert any(
        "24 h 31 May 2022 05:00 – 1 Jun 2022 05:00 PKT and in the 7 days 25 May 2022 05:00 – 1 Jun 2022 05:00 PKT" in c
        for c in captions
    )


def test_the_strongest_hour_latest_space_and_latest_rally_with_their_links():
    at = run_overview()
    last_day = hashtags().filter((pl.col("period_start") >= utc(2022, 5, 31)) & (pl.col("period_start") < AS_OF))
    top = last_day.sort("tweets", "period_start", descending=[True, False]).row(0, named=True)
    strongest = next(m for m in at.metric if m.label == "Strongest hour, last 24 h")
    assert strongest.value == f"{top['tweets']:,} tweets"
    local_hour = top["period_start"].astimezone(ZoneInfo(TZ))
    named = f"#{top['hashtag']} · {top['party']} · {local_hour:%-d %b %Y %H:00}".lower()
    assert any(t.value.lower().startswith(named) for t in at.text)

    spaces = pl.read_csv(BUNDLED / "spaces.csv", try_parse_dates=True)
    latest = spaces.sort("started_at").row(-1, named=True)
    space = next(m for m in at.metric if m.label.startswith("Latest Space"))
    assert space.value == f"{latest['total_listeners']:,}"
    # Against its party's usual: the 20 most recent earlier totals, without the lowest and highest quarter.
    earlier = spaces.filter(
        (pl.col("party") == latest["party"]) & (pl.col("started_at") < latest["started_at"])
    ).drop_nulls("total_listeners")
    totals = sorted(earlier.sort("started_at").tail(20)["total_listeners"].to_list())
    cut = len(totals) // 4
    usual = sum(totals[cut : len(totals) - cut]) / (len(totals) - 2 * cut)
    assert space.delta == f"{latest['total_listeners'] / usual:.1f}× {latest['party']}'s usual"
    assert "median" not in space.delta and "usual" in space.help

    rallies = pl.read_csv(BUNDLED / "rallies.csv", try_parse_dates=True)
    current = rallies.sort("announced_at").group_by("rally_id").agg(pl.all().last())
    assert current.filter(pl.col("starts_at") >= AS_OF).is_empty()  # none announced after the data: the latest
    held = current.sort("starts_at").row(-1, named=True)
    rally = next(m for m in at.metric if m.label in ("Next rally", "Latest rally"))
    assert (rally.label, rally.value) == ("Latest rally", held["city"])

    links = {link.proto.page for link in at.get("page_link")}
    assert links == {"Hashtags", "Spaces", "Rallies", "Compare"}


def test_overview_chart_marks_the_partial_last_day_and_the_summary_has_as_of():
    at = run_overview()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    annotations = [a["text"] for a in figure["layout"]["annotations"]]
    assert any("446,000 listeners" in text for text in annotations)
    hollow = [t for t in figure["data"] if t.get("marker", {}).get("symbol") == "circle-open"]
    pti = next(t for t in hollow if t["customdata"][-1][0] == "PTI")
    assert pti["x"][-1] == "2022-06-01" and pti["customdata"][-1][1:] == ["5", "24"]
    assert "partial day: %{customdata[1]} of %{customdata[2]} h" in pti["hovertemplate"]
    table = at.dataframe[-1].value
    assert set(table["party"]) >= {"PTI", "PML-N", "PPP", "JUI-F", "MQM-P"}
    assert table["as_of"].dt.tz_convert("UTC").unique().tolist() == [AS_OF]


def test_the_last_24_hours_preset_draws_hours_with_a_readable_axis():
    # Picked in the sidebar (the browser test checks that the URL keeps it), and from a link.
    at = run_overview()
    at.radio(key="period").set_value("Last 24 hours").run()
    assert not at.exception
    assert run_overview(period="Last 24 hours").radio(key="period").value == "Last 24 hours"
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"] == "Tweets per hour, by party"
    assert chart["layout"]["xaxis"]["tickformat"] == "%H:%M<br>%-d %b"
    hours = {x for trace in chart["data"] for x in trace["x"]}
    # Exactly the last 24 hours: 31 May 05:00 to the last hour of the data, 1 Jun 04:00 local.
    assert min(hours).startswith("2022-05-31T05:00") and max(hours).startswith("2022-06-01T04:00")
    assert len(hours) == 24
    summary = at.dataframe[-1].value
    pti = summary.loc[summary["party"] == "PTI"].iloc[0]
    # One figure for one window: the range's tweets are the last 24 h's (59,928), not the 65,964 of the two days.
    assert int(pti["tweets"]) == int(pti["tweets_24h"]) == tweets_between(utc(2022, 5, 31), AS_OF)["PTI"] == 59_928


def test_the_7_day_preset_takes_its_168_hours():
    at = run_overview(period="Last 7 days")
    summary = at.dataframe[-1].value
    pti = summary.loc[summary["party"] == "PTI"].iloc[0]
    # 25 May 05:00 to as_of, local: 1,067,572, not the 1,075,855 of the eight days those hours touch.
    assert int(pti["tweets"]) == int(pti["tweets_7d"]) == tweets_between(utc(2022, 5, 25), AS_OF)["PTI"] == 1_067_572
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    hollow = [t for t in figure["data"] if t.get("marker", {}).get("symbol") == "circle-open"]
    partial = next(t for t in hollow if t["customdata"][0][0] == "PTI")
    # The daily chart shows the eight days the hours touch; the first and the last are partial (19 and 5 of 24 h).
    assert partial["x"] == ["2022-05-25", "2022-06-01"]
    assert [c[1:] for c in partial["customdata"]] == [["19", "24"], ["5", "24"]]
    assert not [d for d in at.get("date_input")]  # a preset shows no date picker


def test_a_link_with_dates_is_a_custom_range():
    at = run_overview(dates=["2022-04-10", "2022-04-20"])
    assert at.radio(key="period").value == "Custom"
    assert at.date_input(key="dates").value == (date(2022, 4, 10), date(2022, 4, 20))
    assert at.subheader[0].value == "Last 24 hours · to 21 Apr 2022 00:00 PKT"  # as_of: the end of the last day


def test_a_reversed_range_from_a_link_is_put_in_order_in_the_widget_too():
    at = run_overview(period="Custom", dates=["2022-04-30", "2022-04-10"])
    assert not at.exception
    assert at.date_input(key="dates").value == (date(2022, 4, 10), date(2022, 4, 30))
    assert "reverse order; showing 10 Apr 2022 to 30 Apr 2022" in at.sidebar.warning[0].value
    assert at.subheader[0].value == "Last 24 hours · to 1 May 2022 00:00 PKT"


def test_an_unknown_period_in_a_link_is_named_and_ignored():
    at = run_overview(period="Last <b>year</b>")
    assert not at.exception
    assert at.radio(key="period").value == "All"
    assert "unknown periods: Last \\<b\\>year\\<\\/b\\>" in at.sidebar.warning[0].value  # escaped: text


def test_a_one_day_link_is_drawn_by_the_hour():
    at = run_overview(period="Custom", dates="2022-04-21")  # the URL a one-day range gets
    assert at.date_input(key="dates").value == (date(2022, 4, 21),)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"] == "Tweets per hour, by party"
    assert at.subheader[0].value == "Last 24 hours · to 22 Apr 2022 00:00 PKT"
