"""Scenario: right after a restart, ten people open the dashboard at the same moment; every one of them gets the
page, none an error. (Once, 5 of 10 failed with "partially initialized module 'pandas' has no attribute
'Series'": the first sessions raced each other importing what the charts need.)

The sessions are opened at the protocol level, as ten browser tabs would, all at once: a browser opens its
connection only after loading the page's scripts, which would spread the sessions out in time."""

import asyncio
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest
import websockets
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from pulse.ui.session import DISPLAY_PAGE, PAGES

from .conftest import ARTIFACTS, VIEWPORT, _free_port, _tail, streamlit_server
from .streamlit_dom import ROOT, open_page, prepare_context

SESSIONS = 10
RUN_TIMEOUT_S = 240  # ten cold first runs on a busy 2-core machine


async def first_run(url: str) -> list[str]:
    """Open one session, run the overview once, and return every error it showed (exceptions and alerts)."""
    problems: list[str] = []
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=60) as socket:
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        rerun.rerun_script.page_script_hash = ""
        await socket.send(rerun.SerializeToString())
        while True:
            message = ForwardMsg()
            message.ParseFromString(await socket.recv())
            if message.WhichOneof("type") == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                kind = element.WhichOneof("type")
                if kind == "exception":
                    problems.append(f"{element.exception.type}: {element.exception.message}")
                elif kind == "alert" and element.alert.format == element.alert.ERROR:
                    problems.append(element.alert.body)
            if message.WhichOneof("type") == "script_finished":
                return problems


async def all_at_once(url: str) -> list[list[str]]:
    return await asyncio.wait_for(asyncio.gather(*(first_run(url) for _ in range(SESSIONS))), RUN_TIMEOUT_S)


@pytest.fixture
def cold_server(tmp_path):
    """A fresh server process of its own: nothing imported yet by any session."""
    port = _free_port()
    log = ARTIFACTS / "cold-start.log"
    with streamlit_server(ROOT / "data", log, port=port, host="127.0.0.1"):
        yield port, log


def test_ten_first_sessions_at_once_all_get_the_page(cold_server):
    port, log = cold_server
    # The page itself, as a browser first loads it (this runs no script).
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as page:
        assert page.status == 200
    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        results = thread.submit(asyncio.run, all_at_once(f"ws://127.0.0.1:{port}/_stcore/stream")).result()
    failed = [problems for problems in results if problems]
    assert not failed, f"{len(failed)} of {SESSIONS} sessions failed: {failed}\n{_tail(log)}"
    assert "Traceback" not in log.read_text(errors="replace"), _tail(log)


def test_a_link_to_a_page_opened_first_after_a_restart_gets_the_apps_navigation(cold_server, browser):
    """Streamlit starts in its old multipage mode because pages/ exists, and stayed in it until a session ran
    st.navigation: a link to a page, opened before anyone opened the overview, ran that page alone with the file
    names ('dashboard', ...) in the sidebar and without what dashboard.py adds to every page."""
    port, _ = cold_server
    context = browser.new_context(viewport=VIEWPORT)
    prepare_context(context)
    try:
        page = context.new_page()
        open_page(page, f"http://127.0.0.1:{port}/Rallies")
        nav = page.locator('[data-testid="stSidebarNav"] a')
        # The first run leaves the old mode and reruns: wait for that run's navigation, not the first's.
        expect(nav).to_have_text([title for _, title in (*PAGES, DISPLAY_PAGE)], timeout=60_000)
        assert page.locator("h1").first.inner_text() == "Rallies"
        assert urlsplit(page.url).path == "/Rallies"
    finally:
        context.close()
