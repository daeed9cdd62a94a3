"""A relative preset ("Last 24 hours") takes exactly its hours in every table; a custom range takes whole local
days. Expected values computed by hand on a small data directory (Asia/Karachi, UTC+5, no daylight saving)."""

from datetime import date, timedelta

import polars as pl
import pytest

from pulse.data.load import load_data_dir
from pulse.metrics.filters import Filters, in_dates
from pulse.metrics.hashtags import hashtag_tables, party_hourly
from pulse.metrics.rallies import rallies_in
from pulse.metrics.spaces import record_progression, space_metrics
from pulse.metrics.summary import compute_tables, today
from tests.conftest import utc

TZ = "Asia/Karachi"
AS_OF = utc(2022, 6, 1)  # 1 Jun 05:00 PKT: the data's last hour starts 31 May 23:00 UTC
LAST_24_HOURS = Filters(date(2022, 5, 31), date(2022, 6, 1), hours=(AS_OF - timedelta(hours=24), AS_OF))
SAME_DAYS = Filters(date(2022, 5, 31), date(2022, 6, 1))  # the days those hours touch, as a custom range

HASHTAGS = """hashtag,party,period_start,tweets
a,PTI,2022-05-30T19:00:00Z,100
a,PTI,2022-05-30T23:00:00Z,10
a,PTI,2022-05-31T00:00:00Z,1
a,PTI,2022-05-31T12:00:00Z,2
a,PTI,2022-05-31T19:00:00Z,4
a,PTI,2022-05-31T23:00:00Z,8
b,PPP,2022-05-31T06:00:00Z,16
"""
# 30 May 19:00 and 23:00 UTC are 31 May 00:00 and 04:00 PKT: on the first day the hours touch, before them.
SPACES = """space_id,party,host,started_at,ended_at,total_listeners,peak_listeners,avg_listeners
early,PTI,h1,2022-05-30T20:00:00Z,2022-05-30T21:00:00Z,1000,500,400
inside,PTI,h2,2022-05-31T10:00:00Z,2022-05-31T11:00:00Z,2000,900,800
live,PTI,h3,2022-06-01T03:00:00Z,,,482000,
"""
RALLIES = """rally_id,party,city,announced_at,starts_at
r1,PTI,Lahore,2022-05-20T10:00:00Z,2022-05-30T21:00:00Z
r2,PPP,Karachi,2022-05-20T11:00:00Z,2022-05-31T15:00:00Z
"""


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return data_dir(tmp_path_factory.mktemp("presets"), HASHTAGS)


def data_dir(directory, hashtags: str, spaces: str = SPACES):
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in {"hashtags": hashtags, "spaces": spaces, "rallies": RALLIES}.items():
        (directory / f"{name}.csv").write_text(text, encoding="utf-8")
    return load_data_dir(directory, TZ)


def test_a_preset_takes_its_hours_and_a_custom_range_whole_days():
    at = pl.DataFrame({"at": [utc(2022, 5, 30, 19), utc(2022, 5, 30, 23, 59), AS_OF - timedelta(hours=24), AS_OF]})
    inside = at.select(
        in_dates(pl.col("at"), LAST_24_HOURS, TZ).alias("preset"), in_dates(pl.col("at"), SAME_DAYS, TZ).alias("days")
    )
    # 31 May 00:00 and 04:59 PKT are on the first day but before the hours; as_of itself is after them.
    assert inside.rows() == [(False, True), (False, True), (True, True), (False, True)]
    days = pl.DataFrame({"date": [date(2022, 5, 30), date(2022, 5, 31), date(2022, 6, 1)]})
    # A local date (a daily series) is in a preset when its hours touch it.
    assert days.select(in_dates(pl.col("date"), LAST_24_HOURS).alias("in"))["in"].to_list() == [False, True, True]


def test_the_party_summary_shows_one_figure_for_one_window(data):
    summary = compute_tables(data, LAST_24_HOURS).party_summary
    rows = {r["party"]: r for r in summary.rows(named=True)}
    # PTI: 1 + 2 + 4 + 8 in the 24 hours, not the 100 + 10 of the first day's hours before them.
    assert (rows["PTI"]["tweets"], rows["PTI"]["tweets_24h"]) == (15, 15)
    assert (rows["PPP"]["tweets"], rows["PPP"]["tweets_24h"]) == (16, 16)
    assert rows["PTI"]["share_of_voice_pct"] == pytest.approx(15 / 31 * 100)
    # Spaces and rallies of the hours only: `early` and r1 start on 31 May local, before them; `live` after as_of.
    assert (rows["PTI"]["spaces"], rows["PTI"]["spaces_reach"], rows["PTI"]["rallies"]) == (1, 2000, 0)
    assert rows["PPP"]["rallies"] == 1
    # The same days as a custom range: whole days, so 125 tweets beside the 15 of the last 24 h, and every Space
    # (`live` starts 1 Jun 08:00 PKT).
    days = {r["party"]: r for r in compute_tables(data, SAME_DAYS).party_summary.rows(named=True)}
    assert (days["PTI"]["tweets"], days["PTI"]["tweets_24h"], days["PTI"]["spaces"]) == (125, 15, 3)


def test_daily_series_show_the_days_the_hours_touch_as_partial_days(data):
    tables = compute_tables(data, LAST_24_HOURS)
    pti = tables.party_daily.filter(pl.col("party") == "PTI")
    # 31 May from 05:00 (19 of 24 h): 1 + 2; 1 Jun to 05:00 (5 h): 4 + 8.
    assert pti.select("date", "tweets", "hours_covered", "partial_day").rows() == [
        (date(2022, 5, 31), 3, 19.0, True),
        (date(2022, 6, 1), 12, 5.0, True),
    ]
    assert tables.hashtag_daily.filter(pl.col("hashtag") == "a")["tweets"].to_list() == [3, 12]
    assert tables.spaces["space_id"].to_list() == ["inside"]
    assert tables.events.select("event_type", "event_id").rows() == [("space", "inside"), ("rally", "r2")]


def test_hourly_series_and_other_pages_take_the_hours(data):
    hourly = party_hourly(data.hashtags.counts, LAST_24_HOURS, TZ).filter(pl.col("party") == "PTI")
    assert hourly["period_start"].to_list() == [AS_OF - timedelta(hours=h) for h in range(24, 0, -1)]
    assert hourly["tweets"].sum() == 15
    assert rallies_in(data.rallies, LAST_24_HOURS, TZ)["rally_id"].to_list() == ["r2"]
    # Every Space is a record here (each larger than all before it); the hours hold `inside` only.
    progression = record_progression(space_metrics(data.spaces), LAST_24_HOURS, TZ)
    assert progression["space_id"].to_list() == ["inside"]
    series = hashtag_tables(data, LAST_24_HOURS)
    assert series.summary.select("hashtag", "tweets").sort("hashtag").rows() == [("a", 15), ("b", 16)]
    assert series.hourly.filter(pl.col("hashtag") == "a")["tweets"].sum() == 15


def test_a_day_the_hours_cut_is_judged_on_its_tweets_in_them(tmp_path):
    # 10 tweets a day for 14 days (17:00 PKT), then 31 May: 300 at 01:00 PKT (before the 24 hours), 150 after.
    rows = [f"s,PTI,2022-05-{day:02d}T12:00:00Z,10" for day in range(17, 31)]
    rows += ["s,PTI,2022-05-30T20:00:00Z,300", "s,PTI,2022-05-31T12:00:00Z,150", "s,PTI,2022-05-31T23:00:00Z,1"]
    data = data_dir(tmp_path, "hashtag,party,period_start,tweets\n" + "\n".join(rows))
    day = pl.col("date") == date(2022, 5, 31)
    preset = hashtag_tables(data, LAST_24_HOURS).daily.filter(day)
    # One row, one window: 150 tweets against the trailing mean of 10 a day is 15x, a spike (at least 100).
    assert preset.select("tweets", "trailing_mean", "spike_ratio", "is_spike").row(0) == (150, 10.0, 15.0, True)
    whole = hashtag_tables(data, SAME_DAYS).daily.filter(day)
    assert whole.select("tweets", "spike_ratio", "is_spike").row(0) == (450, 45.0, True)


def test_the_latest_space_is_the_live_one_whatever_the_hashtags_as_of(data):
    space = today(data, LAST_24_HOURS, AS_OF).space
    # `live` started 3 hours after the hashtag data ends: it is the latest Space, at its peak so far.
    assert (space["space_id"], space["live"], space["listeners"]) == ("live", True, 482_000)
    # Fewer than 4 earlier PTI Spaces: no usual, so no multiple.
    assert space["usual_multiple"] is None
    # A custom range ending on 31 May ends at its last day: the latest Space then is `inside`.
    before = today(data, Filters(date(2022, 5, 1), date(2022, 5, 31)), utc(2022, 5, 31, 19)).space
    assert (before["space_id"], before["live"], before["listeners"]) == ("inside", False, 2000)


def test_the_latest_space_is_measured_against_its_partys_usual(tmp_path):
    # Four earlier PTI Spaces (100, 200, 300, 400): drop the lowest and highest, the usual is (200 + 300) / 2.
    times = "2022-05-2{0}T10:00:00Z,2022-05-2{0}T11:00:00Z"
    earlier = [f"e{i},PTI,h,{times.format(i)},{i * 100},{i * 50},{i * 40}" for i in range(1, 5)]
    header = SPACES.splitlines()[0]
    ended = "\n".join([header, *earlier, "last,PTI,h,2022-05-31T10:00:00Z,2022-05-31T11:00:00Z,500,300,200"])
    space = today(data_dir(tmp_path / "ended", HASHTAGS, ended), LAST_24_HOURS, AS_OF).space
    assert (space["listeners"], space["benchmark_listeners"], space["usual_multiple"]) == (500, 250.0, 2.0)
    live = "\n".join([header, *earlier, "now,PTI,h,2022-06-01T03:00:00Z,,,1000,"])
    space = today(data_dir(tmp_path / "live", HASHTAGS, live), LAST_24_HOURS, AS_OF).space
    # While live, its peak so far: the total it ends with is at least that, so 4.0 is a floor of its score.
    assert (space["live"], space["listeners"], space["usual_multiple"]) == (True, 1000, 4.0)
