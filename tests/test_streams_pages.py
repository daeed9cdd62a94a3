"""The Rallies page's online audience and Compare's Live audiences through AppTest, on a small directory whose every
figure is worked out by hand: reported crowds beside measured viewers, a hidden count said so, Spaces and streams
on one time axis, the Overview's live panel with the streams live now, and data text (titles, channels) shown as
text."""

import io
import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from pulse.watch.state import state_path
from tests.conftest import ROOT
from tests.test_alerts_page import write_status
from tests.test_pages import downloads  # noqa: F401 (a fixture)
from tests.test_unique_authors import plotted

PARTIES = "party,name,color\nPTI,Pakistan Tehreek-e-Insaf,#D62828\nPML-N,Pakistan Muslim League (N),#1B8A3A\n"
RALLIES = """rally_id,party,city,announced_at,starts_at,reported_attendance
rl-a,PTI,Lahore,2022-04-01T00:00:00Z,2022-04-21T15:00:00Z,110000
rl-b,PML-N,Faisalabad,2022-05-01T00:00:00Z,2022-05-15T15:00:00Z,20000
"""
SPACES = """space_id,party,host,title,started_at,ended_at,total_listeners,peak_listeners,avg_listeners
sp-1,PTI,Imran Khan,Eve of the rally,2022-04-20T17:00:00Z,2022-04-20T19:00:00Z,446000,182000,165000
"""
HOSTILE_TITLE = "<b>Jalsa</b> **live** [x](http://evil.example)"
HEADER = "stream_id,platform,party,channel_id,channel_title,title,started_at,ended_at,peak_viewers,avg_viewers,rally_id"
STREAMS = f"""{HEADER}
v1,youtube,PTI,UC1,PTI Official,"{HOSTILE_TITLE}",2022-04-21T14:00:00Z,2022-04-21T14:10:00Z,,,
v2,youtube,PTI,UC2,Imran Khan,Second stream,2022-04-21T15:30:00Z,2022-04-21T16:00:00Z,800,500,rl-a
hid,youtube,PML-N,UC3,PML-N *Official*,Faisalabad jalsa,2022-05-15T15:00:00Z,2022-05-15T17:00:00Z,,,
"""
SPACE_SAMPLES = "space_id,at,participants\nsp-1,2022-04-20T17:00:00Z,90000\nsp-1,2022-04-20T17:30:00Z,150000\n"
SAMPLES = """stream_id,at,viewers
v1,2022-04-21T14:00:00Z,100
v1,2022-04-21T14:05:00Z,300
v1,2022-04-21T14:10:00Z,200
"""


@pytest.fixture
def directory(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    files = {"parties": PARTIES, "rallies": RALLIES, "spaces": SPACES, "streams": STREAMS, "stream_samples": SAMPLES}
    files["space_samples"] = SPACE_SAMPLES
    for name, text in files.items():
        (data / f"{name}.csv").write_text(text, encoding="utf-8")
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    monkeypatch.setenv("PULSE_TZ", "Asia/Karachi")
    return data


def run(page: str, **query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def cards(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def figure(at: AppTest, name: str) -> dict:
    charts = [c for c in at.get("plotly_chart") if c.proto.id.endswith(f"chart-{name}")]
    assert len(charts) == 1
    return json.loads(charts[0].proto.spec)


def csv_of(at: AppTest, files: dict[str, bytes], name: str) -> pl.DataFrame:
    buttons = [b for b in at.get("download_button") if b.proto.id.endswith(f"-download-{name}")]
    assert len(buttons) == 1, [b.proto.id for b in at.get("download_button")]
    return pl.read_csv(io.BytesIO(files[buttons[0].proto.url][3:]), infer_schema=False)


def test_a_rally_shows_its_reported_crowd_beside_its_measured_online_audience(directory, downloads):  # noqa: F811
    at = run("3_Rallies.py")
    shown = cards(at)
    # Lahore, the rally with the largest online peak, comes first: v1 (linked: it starts an hour before the
    # rally) peaked at 300 and v2 (which names rl-a) at 800; the average is v2's own, 500.
    assert at.selectbox(key="rally").value == "rl-a"
    assert (shown["Crowd, reported"], shown["Peak online, measured"]) == ("110,000", "800")
    assert (shown["Average online, measured"], shown["Streams"]) == ("500", "2")
    curve = figure(at, "rally_stream_viewers")
    # Only v1 was sampled: 100, 300, 200 viewers at 19:00, 19:05, 19:10 PKT; the rally's start is marked.
    assert [plotted(trace["y"]) for trace in curve["data"]] == [[100, 300, 200]]
    assert curve["data"][0]["x"][0].startswith("2022-04-21T19:00")
    assert curve["data"][0]["customdata"][0] == ["PTI Official · YouTube · 21 Apr"]
    assert [a["text"] for a in curve["layout"]["annotations"]] == ["rally starts"]
    streams = csv_of(at, downloads, "rally_streams")
    # v1's peak and average from its samples: 300, and (100+300)/2 × 5 + (300+200)/2 × 5 = 2,250 over 10 min = 225.
    assert streams.select("stream_id", "peak_viewers", "avg_viewers", "viewer_minutes", "rally_link").rows() == [
        ("v1", "300", "225", "2250", "nearest"),
        ("v2", "800", "500", "15000", "given"),
    ]
    assert streams["title"][0] == HOSTILE_TITLE  # the CSV keeps the text as it was
    every = csv_of(at, downloads, "rallies_online")
    assert every.select("rally_id", "reported_attendance", "streams", "online_peak", "online_avg").rows() == [
        ("rl-a", "110000", "2", "800", "500"),
        ("rl-b", "20000", "1", None, None),
    ]
    assert "Reported" in at.caption[1].value and "Measured" in at.caption[1].value  # which is which, said


def test_a_stream_whose_count_was_hidden_says_why_it_has_no_figure(directory):
    at = run("3_Rallies.py", rally="rl-b")
    shown = cards(at)
    assert (shown["Crowd, reported"], shown["Peak online, measured"], shown["Average online, measured"]) == (
        "20,000",
        "–",
        "–",
    )
    notes = [i.value for i in at.info if "hid its viewer count" in i.value]
    # The channel's name is data: its asterisks are escaped, not read as Markdown emphasis.
    assert notes == [
        "PML-N \\*Official\\*'s stream “Faisalabad jalsa” hid its viewer count throughout: YouTube gives no count "
        "when the owner hides it, so it has no measured figure."
    ]
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("chart-rally_stream_viewers")]  # no curve


def test_live_audiences_put_spaces_and_streams_on_one_time_axis(directory, downloads):  # noqa: F811
    at = run("4_Compare.py", compare="Live audiences")
    shown = cards(at)
    assert (shown["Most at once, X Space"], shown["Most at once, YouTube"]) == ("182,000", "800")
    chart = figure(at, "live_audiences")
    points = {
        trace["name"]: (trace["marker"]["symbol"], trace["marker"]["color"], plotted(trace["y"]))
        for trace in chart["data"]
        if trace["name"].startswith("PTI")
    }
    assert points == {
        "PTI · X Space": ("circle", "#D62828", [182000]),
        "PTI · YouTube": ("diamond", "#D62828", [300, 800]),  # the hidden count has no point
    }
    legend = [(t["name"], t["marker"]["symbol"]) for t in chart["data"] if t.get("showlegend") is not False]
    assert legend == [("X Space", "circle"), ("YouTube", "diamond")]
    # A title is text in plotly too: its tags are entities, never markup.
    hover = [t for t in chart["data"] if t["name"] == "PTI · YouTube"][0]["customdata"][0]
    assert hover == ["PTI Official", "&lt;b&gt;Jalsa&lt;/b&gt; **live** [x](http://evil.example)"]
    table = csv_of(at, downloads, "live_audiences")
    assert table.select("platform", "id", "peak", "average").rows() == [
        ("X Space", "sp-1", "182000", "165000"),
        ("YouTube", "v1", "300", "225"),
        ("YouTube", "v2", "800", "500"),
        ("YouTube", "hid", None, None),
    ]
    # The sampled curves on one time axis: first the largest sampled (the Space, 150,000 at once) and what started
    # within a day of it (v1, 21 hours later); v2 and the hidden stream have no sample.
    assert at.multiselect(key="curves").value == ["X Space:sp-1", "YouTube:v1"]
    curves = figure(at, "live_curves")["data"]
    assert [(c["customdata"][0][0], c["line"]["dash"], c["marker"]["symbol"], plotted(c["y"])) for c in curves] == [
        ("Imran Khan · X Space · 20 Apr", "dot", "circle", [90000, 150000]),
        ("PTI Official · YouTube · 21 Apr", "solid", "diamond", [100, 300, 200]),
    ]


def test_the_overview_live_panel_shows_live_streams_beside_live_spaces(directory):
    now = datetime.now(UTC)

    def at(minutes: float) -> str:
        return f"{now - timedelta(minutes=minutes):%Y-%m-%dT%H:%M:%SZ}"

    with (directory / "streams.csv").open("a", encoding="utf-8") as streams:
        streams.write(f"live,youtube,PTI,UC1,PTI Official,Jalsa *tonight*,{at(20)},,,,\n")
        streams.write(f"stale,youtube,PTI,UC1,PTI Official,Gone quiet,{at(60)},,,,\n")  # newest sample 16 min old
        streams.write(f"over,youtube,PML-N,UC3,PML-N,Ended,{at(60)},{at(5)},,,\n")
    with (directory / "stream_samples.csv").open("a", encoding="utf-8") as samples:
        samples.write(f"live,{at(10)},5000\nlive,{at(1)},7000\nstale,{at(16)},900\nover,{at(6)},300\n")
    write_status(directory, now - timedelta(seconds=20), [])
    state = json.loads(state_path(directory).read_text())  # the watcher samples the live stream
    state["stream_tracking"] = {"live": {"next": 0, "failures": 0, "party": "PTI"}}
    state_path(directory).write_text(json.dumps(state))
    page = run("../dashboard.py")
    assert any(m.value.endswith("· 0 live Space(s) · 1 live stream(s)") for m in page.markdown)
    texts = [t.value for t in page.text]
    # Text from the data as text: the stars of the title are not Markdown.
    assert [t for t in texts if "watching now" in t] == [
        "YouTube · PTI · PTI Official · Jalsa *tonight* · 7,000 watching now"
    ]
    charts = [c for c in page.get("plotly_chart") if "chart-live-stream-" in c.proto.id]
    assert [c.proto.id.rsplit("chart-live-stream-", 1)[1] for c in charts] == ["live"]
    assert plotted(json.loads(charts[0].proto.spec)["data"][0]["y"]) == [5000, 7000]
