"""The Alerts page and the overview's live panel, on what a watcher left in a copy of the bundled data (AppTest)."""

import json
import shutil
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from pulse.data.store import Store
from pulse.watch import alerts
from pulse.watch.state import state_path
from tests.conftest import BUNDLED, ROOT, utc
from tests.test_pages import csv_of, downloads  # noqa: F401 - downloads is a fixture
from tests.test_unique_authors import plotted


def alert(alert_id: str, kind: str, party: str | None, raised_at: datetime, message: str, delivered: bool) -> dict:
    return {
        "alert_id": alert_id,
        "raised_at": raised_at,
        "kind": kind,
        "party": party,
        "subject": alert_id.split("/")[1],
        "value": 150.0,
        "baseline": 10.0,
        "message": message,
        "delivered": delivered,
        "error": None if delivered else "could not post to webhook 1 (hooks.example): HTTP 500",
        "delivered_to": None,
        "attempts": 0 if delivered else 1,
        "retry_at": None,
    }


@pytest.fixture
def data(tmp_path, monkeypatch):
    for csv in BUNDLED.glob("*.csv"):
        shutil.copy(csv, tmp_path / csv.name)
    alerts.add_alerts(
        Store(tmp_path),
        alerts.as_frame(
            [
                alert("spike/imrankhan/PTI", "spike", "PTI", utc(2024, 2, 1, 17), "#ImranKhan spiked: 150", True),
                alert("rally/isb/x", "rally", "PML-N", utc(2024, 2, 1, 18), "**PML-N** rally isb: Islamabad", False),
                alert("space_record/all/sp", "space_record", "PTI", utc(2024, 2, 1, 16), "PTI's Space ...", True),
            ]
        ),
    )
    monkeypatch.setenv("PULSE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_alerts_are_listed_newest_first_filtered_by_kind_and_party_with_their_csv(data):
    at = AppTest.from_file(str(ROOT / "pages" / "6_Alerts.py"), default_timeout=60).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert shown["alert_id"].tolist() == ["rally/isb/x", "spike/imrankhan/PTI", "space_record/all/sp"]
    assert list(shown.columns) == list(alerts.SHOWN_COLUMNS)
    assert [m.value for m in at.metric] == ["3", "2", "1"]

    at.multiselect(key="alert-party").select("PTI").run()
    assert at.dataframe[0].value["alert_id"].tolist() == ["spike/imrankhan/PTI", "space_record/all/sp"]
    at.multiselect(key="alert-kind").select("spike").run()
    assert at.dataframe[0].value["alert_id"].tolist() == ["spike/imrankhan/PTI"]


def test_a_link_opens_the_alerts_filtered(data):
    at = AppTest.from_file(str(ROOT / "pages" / "6_Alerts.py"), default_timeout=60)
    at.query_params["alert-kind"] = "rally"
    at.run()
    assert at.dataframe[0].value["alert_id"].tolist() == ["rally/isb/x"]


def test_no_alerts_says_how_they_come(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_DATA_DIR", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "pages" / "6_Alerts.py"), default_timeout=60).run()
    assert not at.exception
    assert "No alerts yet" in at.info[0].value


def write_status(data, updated_at: datetime, live: list[str], stopped: bool = False) -> None:
    state = {
        "pid": 4242,
        "updated_at": updated_at.timestamp(),
        "stopped_at": updated_at.timestamp() if stopped else None,
        "tracking": {s: {"next": 0, "failures": 0} for s in live},
    }
    state_path(data).parent.mkdir(parents=True, exist_ok=True)
    state_path(data).write_text(json.dumps(state))


def add_live_space(data) -> None:
    now = datetime.now(UTC)
    with (data / "spaces.csv").open("a") as spaces:
        spaces.write(f"live1,PTI,ImranKhanPTI,Jalsa *tonight*,{now - timedelta(minutes=3):%Y-%m-%dT%H:%M:%SZ},,,,,\n")
    (data / "space_samples.csv").write_text(
        "space_id,at,participants\n"
        f"live1,{now - timedelta(seconds=60):%Y-%m-%dT%H:%M:%SZ},1200\n"
        f"live1,{now - timedelta(seconds=30):%Y-%m-%dT%H:%M:%SZ},4500\n"
    )


def panel_text(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown] + [t.value for t in at.text]


def test_the_overview_shows_the_live_data_and_spaces_while_a_watcher_runs(data):
    add_live_space(data)
    write_status(data, datetime.now(UTC) - timedelta(seconds=40), ["live1"])
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    texts = panel_text(at)
    assert any("Live" in t and "Data updated 4" in t and "s ago by `pulse watch` · 1 live Space(s)" in t for t in texts)
    # Newest alerts first, shown as text: the stars of a message or title are not Markdown.
    assert texts.count("1 Feb 23:00 · **PML-N** rally isb: Islamabad") == 1
    assert "PTI · ImranKhanPTI · Jalsa *tonight* · 4,500 listening now" in texts
    figure = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "live1" in c.proto.id)
    assert plotted(figure["data"][0]["y"]) == [1200, 4500]


@pytest.mark.parametrize(("age_s", "stopped"), [(121, False), (5, True)])
def test_no_live_panel_without_a_running_watcher(data, age_s, stopped):
    add_live_space(data)
    write_status(data, datetime.now(UTC) - timedelta(seconds=age_s), ["live1"], stopped)
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    assert not any("Data updated" in t for t in panel_text(at))
    assert not any("live1" in c.proto.id for c in at.get("plotly_chart"))


def test_the_alerts_csv_is_the_filtered_table(data, downloads):  # noqa: F811 - the fixture
    at = AppTest.from_file(str(ROOT / "pages" / "6_Alerts.py"), default_timeout=60)
    at.query_params["alert-party"] = "PTI"
    at.run()
    table = csv_of(at, downloads, "alerts")
    shown = list(alerts.SHOWN_COLUMNS)
    assert table.columns == [*shown[:2], "raised_at_local", *shown[2:]]  # the time in the export's zone beside it
    assert table.select("alert_id", "raised_at", "delivered").rows() == [
        ("spike/imrankhan/PTI", "2024-02-01T17:00:00Z", "true"),
        ("space_record/all/sp", "2024-02-01T16:00:00Z", "true"),
    ]
