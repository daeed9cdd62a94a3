"""The Alerts page and the overview's live panel, on what a watcher left in a copy of the bundled data (AppTest)."""

import json
import re
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from pulse.data.store import Store
from pulse.escape import markdown_text
from pulse.watch import alerts
from pulse.watch.state import JobStatus, job_json, state_path
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
    monkeypatch.setenv("PULSE_TZ", "Asia/Karachi")
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


def test_alerts_read_as_cards_newest_first_with_kinds_in_words_and_the_codes_kept_in_the_data(data):
    at = AppTest.from_file(str(ROOT / "pages" / "6_Alerts.py"), default_timeout=60).run()
    assert not at.exception
    sent, record = ":green[:material/done_all: Sent to the team's chat]", "PTI's Space ..."
    cards = [m.value for m in at.get("markdown") if m.value.startswith("**")]
    assert cards == [
        f"**Rally announced** · PML-N · 1 Feb 2024, 23:00 PKT  \n{markdown_text('**PML-N** rally isb: Islamabad')}  \n"
        ":orange[:material/schedule: Not sent yet] "
        + markdown_text("could not post to webhook 1 (hooks.example): HTTP 500"),
        f"**Spike** · PTI · 1 Feb 2024, 22:00 PKT  \n{markdown_text('#ImranKhan spiked: 150')}  \n{sent}",
        f"**Space record** · PTI · 1 Feb 2024, 21:00 PKT  \n{markdown_text(record)}  \n{sent}",
    ]
    # The kind filter and the table name kinds in words; the table's data, its CSV and the URL keep the codes.
    assert at.multiselect(key="alert-kind").options == [
        "Spike",
        "Space record",
        "Rally announced",
        "Claim verdict changed",
        "Stream live",
        "Stream record",
    ]
    kind = json.loads(at.dataframe[0].proto.columns)["kind"]["type_config"]
    assert kind["options"] == [
        {"value": "spike", "label": "Spike"},
        {"value": "space_record", "label": "Space record"},
        {"value": "rally", "label": "Rally announced"},
        {"value": "claim", "label": "Claim verdict changed"},
        {"value": "stream_live", "label": "Stream live"},
        {"value": "stream_record", "label": "Stream record"},
    ]
    assert at.dataframe[0].value["kind"].tolist() == ["rally", "spike", "space_record"]


def test_a_phone_shows_the_newest_20_alerts_as_cards_and_says_where_the_rest_are(data):
    raised_at = datetime(2024, 3, 1, tzinfo=UTC)
    more = [
        alert(f"spike/t{n}/PTI", "spike", "PTI", raised_at + timedelta(hours=n), f"spike {n}", True) for n in range(25)
    ]
    alerts.add_alerts(Store(data), alerts.as_frame(more))
    at = AppTest.from_file(str(ROOT / "pages" / "6_Alerts.py"), default_timeout=60).run()
    cards = [m.value.split("\n")[1] for m in at.get("markdown") if m.value.startswith("**")]
    assert cards == [f"spike {n}  " for n in range(24, 4, -1)]
    assert "The newest 20 of 28 alerts: the CSV below has them all." in [c.value for c in at.caption]


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


def write_status(
    data, updated_at: datetime, live: list[str], stopped: bool = False, jobs: tuple[JobStatus, ...] = ()
) -> None:
    state = {
        "pid": 4242,
        "updated_at": updated_at.timestamp(),
        "stopped_at": updated_at.timestamp() if stopped else None,
        "tracking": {s: {"next": 0, "failures": 0} for s in live},
        "jobs": {job.job: job_json(job) for job in jobs},
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
    """The markdown and text shown, seconds ago written '… s ago' (the app's clock runs on while the test waits)."""
    shown = [m.value for m in at.markdown] + [t.value for t in at.text]
    return [re.sub(r"\b\d+ s ago", "… s ago", t) for t in shown]


def local(at: datetime) -> str:
    """A moment as the panel names it: '17:21 PKT', with the day when it is not today's."""
    zone = ZoneInfo("Asia/Karachi")
    today = at.astimezone(zone).date() == datetime.now(zone).date()
    return f"{at.astimezone(zone):{'' if today else '%-d %b '}%H:%M %Z}"


def test_the_overview_shows_the_live_data_and_spaces_while_a_watcher_runs(data):
    add_live_space(data)
    now = datetime.now(UTC)
    write_status(data, now - timedelta(seconds=40), ["live1"])
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    texts = panel_text(at)
    beat = "`pulse watch` running, heartbeat … s ago · 1 live Space(s)"
    assert f":green-badge[:material/sensors: Live] {beat}" in texts
    # Newest alerts first, shown as text: the stars of a message or title are not Markdown.
    assert texts.count("1 Feb 23:00 · **PML-N** rally isb: Islamabad") == 1
    assert "PTI · ImranKhanPTI · Jalsa *tonight* · 4,500 listening now" in texts
    figure = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "live1" in c.proto.id)
    assert plotted(figure["data"][0]["y"]) == [1200, 4500]


@pytest.mark.parametrize(("age_s", "stopped"), [(150, False), (5, True)])
def test_a_watcher_that_stopped_or_went_quiet_says_when_and_what_it_last_did(data, age_s, stopped):
    add_live_space(data)
    now = datetime.now(UTC)
    last = now - timedelta(seconds=age_s)
    counts = JobStatus("counts", 900.0, last_success=last)
    write_status(data, last, ["live1"], stopped, jobs=(counts,))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    assert not at.exception
    ago = "2 min" if age_s == 150 else "… s"
    texts = panel_text(at)
    start = texts.index(
        f":red-badge[:material/power_off: Stopped] `pulse watch` stopped at {local(last)} ({ago} ago): nothing is "
        "being collected"
    )
    assert (
        texts[start + 1]
        == f":green[:material/check_circle:] **Hashtag counts** · last success {local(last)} ({ago} ago)"
    )
    assert not any("live1" in c.proto.id for c in at.get("plotly_chart"))


FAILING_ERROR = "X API /tweets/counts/recent: could not connect to api.x.com **now** [see](http://evil.example)"


def failing_jobs(now: datetime) -> tuple[JobStatus, ...]:
    """Counts failing for 15 minutes after a success 20 minutes ago (its interval is 5 minutes), Spaces fine."""
    counts = JobStatus(
        "counts",
        300.0,
        failures=4,
        last_success=now - timedelta(minutes=20, seconds=30),
        last_error=FAILING_ERROR,
        last_error_at=now - timedelta(seconds=30),
        failing_since=now - timedelta(minutes=15, seconds=30),
        next_try=now + timedelta(minutes=4),
    )
    return counts, JobStatus("spaces", 120.0, last_success=now - timedelta(seconds=50)), JobStatus("delivery", 30.0)


@pytest.mark.parametrize("page", ["dashboard.py", "pages/6_Alerts.py"])
def test_a_job_failing_for_two_intervals_turns_the_panel_red_with_its_error_on_the_overview_and_alerts(data, page):
    now = datetime.now(UTC)
    write_status(data, now - timedelta(seconds=10), [], jobs=failing_jobs(now))
    at = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
    assert not at.exception
    since, success = now - timedelta(minutes=15, seconds=30), now - timedelta(minutes=20, seconds=30)
    beat = "`pulse watch` running, heartbeat … s ago · 0 live Space(s)"
    texts = panel_text(at)
    start = texts.index(
        f":red-badge[:material/error: Failing since {local(since)} (15 min ago)] Hashtag counts · {beat}"
    )
    assert texts[start + 1 : start + 4] == [
        f":red[:material/error: **Hashtag counts** failing since {local(since)} (15 min ago)] · last success "
        f"{local(success)} (20 min ago)  \n:small[Last error {local(now - timedelta(seconds=30))} (… s ago): "
        f"{markdown_text(FAILING_ERROR)}]",
        f":green[:material/check_circle:] **Live Spaces** · last success {local(now - timedelta(seconds=50))} "
        "(… s ago)",
        ":green[:material/check_circle:] **Alert delivery** · nothing to send yet",
    ]
    # On the Alerts page the jobs are one tap away, so that on a phone the alerts still come first.
    folded = [e.label for e in at.expander if e.label.startswith("Each job")]
    assert folded == (["Each job's last success and last error"] if "Alerts" in page else [])


def test_a_job_that_failed_but_not_for_two_intervals_yet_is_retrying(data):
    now = datetime.now(UTC)
    counts = JobStatus(
        "counts",
        900.0,
        failures=1,
        last_success=now - timedelta(minutes=10),
        last_error="boom",
        last_error_at=now - timedelta(seconds=5),
        failing_since=now - timedelta(seconds=5),
        next_try=now + timedelta(minutes=5),
    )
    write_status(data, now - timedelta(seconds=5), [], jobs=(counts,))
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60).run()
    texts = panel_text(at)
    assert texts[0].startswith(":orange-badge[:material/sync_problem: Retrying] `pulse watch` running")
    assert texts[1].startswith(
        f":orange[:material/sync_problem: **Hashtag counts** failed, next try {local(now + timedelta(minutes=5))} (in "
    )


@pytest.mark.parametrize("page", ["dashboard.py", "pages/6_Alerts.py"])
@pytest.mark.parametrize("content", ['{"updated_at": 1e300}', '{"updated_at": 1, "jobs": {"counts": []}}', "\x00"])
def test_a_tampered_state_file_says_the_watcher_state_is_unreadable(data, page, content):
    state_path(data).parent.mkdir()
    state_path(data).write_text(content)
    at = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
    assert not at.exception
    texts = panel_text(at)
    assert ":red-badge[:material/error: Watcher state unreadable] whether data is being collected is unknown" in texts
    assert any(c.value.startswith(markdown_text("watcher state unreadable: .watch/state.json: ")) for c in at.caption)


@pytest.mark.parametrize("page", ["dashboard.py", "pages/6_Alerts.py"])
@pytest.mark.parametrize("attack", ["nested 50,000 deep", "a retry in the year 9999"])
def test_a_hostile_state_file_shows_unreadable_never_a_traceback(data, page, attack):
    now = datetime.now(UTC).timestamp()
    if attack == "nested 50,000 deep":  # RecursionError in the JSON parser
        content = f'{{"updated_at": {now}, "tracking": {"[" * 50_000 + "]" * 50_000}}}'
    else:  # a time Python holds but no zone east of UTC can show: OverflowError
        job = {"every": 900, "failures": 1, "failing_since": now, "last_error": "x", "next_try": 253402300799}
        content = json.dumps({"updated_at": now, "jobs": {"counts": job}})
    state_path(data).parent.mkdir()
    state_path(data).write_text(content)
    at = AppTest.from_file(str(ROOT / page), default_timeout=60).run()
    assert not at.exception
    texts = panel_text(at)
    assert ":red-badge[:material/error: Watcher state unreadable] whether data is being collected is unknown" in texts


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
