"""The Display page through AppTest: its panels on the bundled sample, and who gets in, with sign-in on (st.user
given the claims under test) and off. A share link opens its display and no other page; a tampered, expired or
revoked one shows a refusal with no data, and the server logs why without the token. The real screen (sizes,
rotation, refresh) is tests/e2e/test_display.py."""

import csv
import html
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from pulse.data.audit import Actor
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.display_links import create_link, read_links, revoke_link, token_for, verify
from pulse.watch import alerts
from tests.conftest import ROOT
from tests.test_access_pages import ACCESS, ADMIN, AUTH, VIEWER
from tests.test_alerts_page import add_live_space, alert, plotted, write_status

DASHBOARD = str(ROOT / "dashboard.py")
SECRET = "a display secret of at least thirty-two characters"
DISPLAYS = """
[[display]]
name = "war-room"
panels = ["today", "hour", "alerts", "record"]
layout = "grid"
theme = "dark"

[[display]]
name = "board"
panels = ["share", "today"]
parties = ["PTI", "PPP"]

[[display]]
name = "spaces"
panels = ["live"]

[[display]]
name = "claims"
panels = ["claims"]
parties = ["PTI"]
"""


@pytest.fixture
def store_dir(store_dir, tmp_path, monkeypatch):
    """The shared copy of the bundled data (tests/conftest.py), with the displays above and no display_secret from
    the environment."""
    directory = store_dir
    displays = tmp_path / "displays.toml"
    displays.write_text(DISPLAYS, encoding="utf-8")
    monkeypatch.setenv("PULSE_DISPLAYS", str(displays))
    monkeypatch.delenv("PULSE_DISPLAY_SECRET", raising=False)
    return directory


def link(directory, display: str = "board", expires: timedelta = timedelta(days=7)) -> tuple[str, str]:
    now = datetime.now(UTC)
    made = create_link(Store(directory, actor=Actor("lead@party.example", "admin")), display, now + expires, "", now)
    return made.id, token_for(made, SECRET.encode())


def app(user: dict | None, token: str | None = None, sign_in: bool = True) -> AppTest:
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    if sign_in:
        at.secrets["auth"] = AUTH
        at.secrets["access"] = ACCESS
        at.user = user or {"is_logged_in": False}
    at.secrets["display_secret"] = SECRET
    if token is not None:
        at.query_params["link"] = token
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "warning", "error", "title") for e in at.get(kind))


def shown(at: AppTest) -> str:
    """Every block of HTML the page drew (the panels are HTML: st.html)."""
    return "\n".join(element.proto.body for element in at.get("html"))


def test_a_share_link_opens_its_display_and_no_other_page(store_dir):
    _, token = link(store_dir)
    at = app(None, token).run()
    assert not at.exception and not at.warning
    page = shown(at)
    assert "Share of voice, last 24 hours" in page and 'data-panel="share"' in page
    assert "Share of all tweets in the last 24 hours" in page
    assert "Sign in" not in [b.label for b in at.button]
    for other in ("pages/0_Overview.py", "pages/1_Spaces.py", "pages/5_Data.py", "pages/7_Audit.py"):
        with pytest.raises(ValueError):  # the link's page is the only one registered
            at.switch_page(other)
    assert (len(at.metric), len(at.dataframe), len(at.get("download_button"))) == (0, 0, 0)


def test_the_link_grants_its_own_display_whatever_the_address_asks(store_dir):
    _, token = link(store_dir, "board")
    at = app(None, token)
    at.query_params["display"] = "war-room"
    at.run()
    page = shown(at)
    assert "board" in page and "war-room" not in page


@pytest.mark.parametrize("how", ["tampered", "expired", "revoked", "foreign", "unknown display"])
def test_a_bad_link_is_refused_with_no_data_and_logged_without_the_token(store_dir, how, caplog):
    link_id, token = link(store_dir, expires=timedelta(seconds=-1) if how == "expired" else timedelta(days=7))
    if how == "tampered":
        token = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
    elif how == "revoked":
        revoke_link(Store(store_dir), link_id, datetime.now(UTC))
    elif how == "foreign":
        token = token_for(read_links(store_dir)[link_id], b"another deployment's secret, also long enough")
    elif how == "unknown display":
        _, token = link(store_dir, "lobby")
    with caplog.at_level(logging.WARNING, logger="pulse.display"):
        at = app(None, token).run()
    assert not at.exception
    expected = {"expired": "has expired", "revoked": "has been revoked"}.get(how, "does not work here")
    assert expected in at.warning[0].value
    reason = {"expired": "expired", "revoked": "revoked", "unknown display": "no display lobby"}.get(
        how, "bad signature"
    )
    assert f"display link refused: {reason}" in caplog.text
    assert "war-room" not in texts(at)  # no other display is named
    assert "data-panel" not in shown(at) and not at.get("plotly_chart")
    assert token not in caplog.text


def test_without_a_secret_no_link_works(store_dir):
    _, token = link(store_dir)
    at = app(None, token)
    del at.secrets["display_secret"]
    at.run()
    assert "does not work here" in at.warning[0].value and "data-panel" not in shown(at)


def test_without_a_link_a_visitor_who_is_not_signed_in_sees_the_sign_in_page(store_dir):
    at = app(None).run()
    assert at.button(key="sign-in-default")
    with pytest.raises(ValueError):
        at.switch_page("pages/9_Display.py")


def test_a_signed_in_viewer_opens_any_display(store_dir):
    at = app(VIEWER).run()
    at.switch_page("pages/9_Display.py")
    at.query_params["display"] = "war-room"
    at.run()
    assert not at.exception
    page = shown(at)
    for panel in ("today", "hour", "alerts", "record"):  # a grid: every panel at once
        assert f'data-panel="{panel}"' in page
    assert "#0E1117" in page  # the dark theme
    assert "stale" in page  # the 2022 sample is years old
    assert not at.get("download_button") and not at.dataframe


def test_without_sign_in_displays_are_open_and_links_still_work(store_dir):
    at = app(None, sign_in=False).run()
    at.switch_page("pages/9_Display.py").run()
    page = shown(at)
    assert 'data-panel="today"' in page and 'data-panel="record"' in page  # the first configured: war-room's grid
    _, token = link(store_dir, "board")
    at = app(None, token, sign_in=False)
    at.switch_page("pages/9_Display.py").run()
    assert 'data-panel="share"' in shown(at) and 'data-panel="record"' not in shown(at)


def test_the_record_panel_shows_the_samples_record_and_alerts_are_text(store_dir):
    with (store_dir / "spaces.csv").open(encoding="utf-8") as file:
        spaces = [row for row in csv.DictReader(file) if row["total_listeners"]]
    best = max(spaces, key=lambda row: int(row["total_listeners"]))
    raised = datetime(2022, 5, 31, 20, tzinfo=UTC)
    alerts.add_alerts(
        Store(store_dir),
        alerts.as_frame([alert("spike/x/PTI", "spike", "PTI", raised, "<script>x()</script> **#Spike** up", True)]),
    )
    _, token = link(store_dir, "war-room")
    at = app(None, token).run()
    page = shown(at)
    assert f'<div class="pd-fig">{int(best["total_listeners"]):,}</div>' in page
    assert html.escape(best["host"]) in page
    # The bundled streams' record: yt-0007 on 21 Apr 2022 (Lahore), 420,000 at its peak, past yt-0006's 210,000.
    assert (
        '<div class="pd-label">PTI · YouTube stream, peak viewers</div><div class="pd-fig">420,000</div>'
        '<div class="pd-label ">PTI Official · Thu 21 Apr 2022, 19:00 PKT · previous record 210,000</div>'
    ) in page
    assert "&lt;script&gt;x()&lt;/script&gt; **#Spike** up" in page and "<script>" not in page


def test_the_live_panel_shows_each_sampled_space_and_its_audience(store_dir):
    _, token = link(store_dir, "spaces")
    at = app(None, token).run()
    assert "Nothing is live: pulse watch is not running." in shown(at)
    add_live_space(store_dir)
    write_status(store_dir, datetime.now(UTC) - timedelta(seconds=10), ["live1"])
    at = app(None, token).run()
    page = shown(at)
    assert "ImranKhanPTI · Jalsa *tonight*" in page
    assert '<div class="pd-fig">4,500</div><div class="pd-label ">listening now</div>' in page
    (chart,) = at.get("plotly_chart")
    assert plotted(json.loads(chart.proto.spec)["data"][0]["y"]) == [1200, 4500]


def test_an_admin_makes_and_revokes_a_link_on_the_display_page_and_a_viewer_cannot(store_dir):
    at = app(ADMIN).run()
    at.switch_page("pages/9_Display.py")
    at.query_params["links"] = "manage"
    at.run()
    assert not at.exception and at.title[0].value == "Display links"
    at.selectbox(key="display-link-display").select("board")
    at.text_input(key="display-link-note").input("newsroom wall")
    next(b for b in at.button if b.label == "Create link").click().run()
    (made,) = read_links(store_dir).values()
    assert (made.display, made.note, made.created_by) == ("board", "newsroom wall", "lead@party.example")
    address = at.code[0].value
    assert address.startswith("http") and "/Display?link=v1." in address
    token = address.split("link=", 1)[1]
    assert verify(token, SECRET.encode(), read_links(store_dir), datetime.now(UTC)).display == "board"
    at.button(key="display-link-revoke").click().run()
    assert read_links(store_dir)[made.id].revoked_by == "lead@party.example"
    trail = load_dataset(store_dir, "audit")[0]
    assert trail.select("actor", "action").rows() == [
        ("lead@party.example", "display-link-create"),
        ("lead@party.example", "display-link-revoke"),
    ]

    viewer = app(VIEWER).run()
    viewer.switch_page("pages/9_Display.py")
    viewer.query_params["links"] = "manage"
    viewer.run()
    assert not viewer.title and "data-panel" in shown(viewer)  # the screen, not the links
    with pytest.raises(KeyError):
        viewer.selectbox(key="display-link-display")


def test_the_claims_panel_counts_the_verdicts_and_lists_the_newest_claims_of_its_parties(store_dir):
    # The bundled ledger (data/claims.csv) holds six claims of 21 April 2022: c-004 is about the K-pop Space (party
    # OTHER) and this display shows PTI only. Of the other five, c-001, c-003 and c-005 are accurate and c-002 and
    # c-006 overstated (docs/metrics.md). A newer claim whose text is markup comes first, as text.
    with (store_dir / "claims.csv").open("a", encoding="utf-8") as file:
        file.write(
            "c-007,2022-05-01T07:00:00Z,<i>PTI</i> spokesman,<script>x()</script> 500 rallies,,party,PTI,"
            "spaces,at_least,500,,\n"
        )
    _, token = link(store_dir, "claims")
    at = app(None, token).run()
    assert not at.exception
    page = shown(at)
    counts = [
        ("Accurate", "#21C354", "3"),
        ("Overstated", "#FF4B4B", "3"),
        ("Understated", "#FFA421", "0"),
        ("Unverifiable", "#A3A8B8", "0"),
    ]
    for verdict, color, count in counts:
        assert (
            f'<div class="pd-card" style="--pd-party:{color}"><div class="pd-label">{verdict}</div>'
            f'<div class="pd-fig">{count}</div>'
        ) in page
    order = [page.index(f"{claim}") for claim in ("500 rallies", "world’s largest", "average of 165,000", "half a")]
    assert order == sorted(order)  # the newest first; c-001 is the sixth, past the five shown
    assert "44,000" not in page and "446,000 people" not in page
    assert "<b>Overstated</b> · &lt;i&gt;PTI&lt;/i&gt; spokesman: &lt;script&gt;x()&lt;/script&gt; 500 rallies" in page
    assert "<script>" not in page


def test_the_live_panel_shows_a_live_stream_beside_a_live_space(store_dir):
    _, token = link(store_dir, "spaces")
    add_live_space(store_dir)
    write_status(store_dir, datetime.now(UTC) - timedelta(seconds=10), ["live1"])
    now = datetime.now(UTC)

    def ago(minutes: float) -> str:
        return f"{now - timedelta(minutes=minutes):%Y-%m-%dT%H:%M:%SZ}"

    with (store_dir / "streams.csv").open("a", encoding="utf-8") as streams:
        streams.write(f"v-live,youtube,PTI,UC1,<b>PTI</b> Official,Jalsa,,{ago(20)},,,,,\n")
        streams.write(f"v-old,youtube,PTI,UC1,PTI Official,Quiet,,{ago(60)},,,,,\n")  # newest sample 16 min old
    with (store_dir / "stream_samples.csv").open("a", encoding="utf-8") as samples:
        samples.write(f"v-live,{ago(10)},5000\nv-live,{ago(1)},7000\nv-old,{ago(16)},900\n")
    at = app(None, token).run()
    assert not at.exception
    page = shown(at)
    assert "ImranKhanPTI · Jalsa *tonight*" in page
    assert '<div class="pd-fig">4,500</div><div class="pd-label ">listening now</div>' in page
    assert "YouTube · &lt;b&gt;PTI&lt;/b&gt; Official · Jalsa" in page
    assert '<div class="pd-fig">7,000</div><div class="pd-label ">watching now</div>' in page
    assert "Quiet" not in page and "more live" not in page
    ys = [plotted(json.loads(chart.proto.spec)["data"][0]["y"]) for chart in at.get("plotly_chart")]
    assert ys == [[1200, 4500], [5000, 7000]]
