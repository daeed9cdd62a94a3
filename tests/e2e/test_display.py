"""The Display page in real Chromium, with sign-in on (the OIDC mock of test_sign_in.py) and share links made by
`python -m pulse display-link`: every panel and the grid fit 1920×1080 and 1280×720 with no scrollbar, sidebar or
toolbar, in text large enough; the screen rotates on time; a merge shows on screen within one refresh without a
reload; a link opens its display while every other page stays closed; a tampered, expired or revoked link is
refused; revoking a link closes a screen already open at its next refresh."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pulse.data import ingest
from pulse.data.audit import Actor
from pulse.data.store import Store
from pulse.display_links import create_link, read_links, token_for
from pulse.watch import alerts
from tests.test_alerts_page import add_live_space, alert, write_status

from .conftest import ARTIFACTS, _free_port, bundled_copy, streamlit_server
from .streamlit_dom import ROOT, open_page, prepare_context, screenshot, wait_until_idle
from .test_sign_in import ACCESS, COOKIE_SECRET, provider  # noqa: F401 (a fixture)

SECRET = "e2e-display-secret-long-enough-to-sign"
SIZES = ((1920, 1080), (1280, 720))
PANELS = ("today", "hour", "live", "alerts", "record", "share", "claims")
ROTATE_S, REFRESH_S = 4.0, 3.0
SHOTS = Path(os.environ.get("PULSE_DISPLAY_SHOTS", str(ARTIFACTS / "display")))
DISPLAYS = "".join(
    f'[[display]]\nname = "only-{panel}"\npanels = ["{panel}"]\nrefresh = "3s"\ntheme = "dark"\n\n' for panel in PANELS
) + (
    '[[display]]\nname = "grid"\npanels = ["today", "hour", "alerts", "share"]\nlayout = "grid"\nrefresh = "3s"\n\n'
    '[[display]]\nname = "grid-live"\npanels = ["claims", "live", "record"]\nlayout = "grid"\nrefresh = "3s"\n\n'
    '[[display]]\nname = "wall"\npanels = ["today", "hour", "share"]\nrotate = "4s"\nrefresh = "3s"\n\n'
    '[[display]]\nname = "mqm"\npanels = ["today"]\nrefresh = "3s"\nparties = ["MQM-P"]\n'
)
# The last hour of the bundled hashtags has HaqParast at 2 tweets for MQM-P: the merge makes it 1,002.
MERGED_HOUR = b"hashtag,party,period_start,tweets\nHaqParast,MQM-P,2022-05-31T23:00:00Z,1002\n"

# Whether anything scrolls: the page, or one of Streamlit's own scrolling containers, holds more than it shows.
_OVERFLOW = """() => ['stMain', 'stAppViewContainer', 'stMainBlockContainer']
    .map(id => document.querySelector(`[data-testid="${id}"]`))
    .concat([document.documentElement, document.body])
    .filter(e => e && (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1))
    .map(e => `${e.dataset.testid || e.tagName}: ${e.scrollWidth}×${e.scrollHeight} in `
              + `${e.clientWidth}×${e.clientHeight}`)"""
_SIZES = """() => ({
    figures: [...document.querySelectorAll('.pd-fig')].map(e => parseFloat(getComputedStyle(e).fontSize)),
    labels: [...document.querySelectorAll('.pd-label, .pd-alert, .pd-head')]
        .map(e => parseFloat(getComputedStyle(e).fontSize)),
    chrome: ['stSidebar', 'stHeader', 'stToolbar', 'stSidebarNav', 'stSidebarCollapsedControl']
        .filter(id => { const e = document.querySelector(`[data-testid="${id}"]`);
                        return e && e.getBoundingClientRect().height > 0 && getComputedStyle(e).display !== 'none'; }),
})"""


@contextmanager
def served(issuer: str, work: Path):
    """The dashboard with sign-in on (nobody reads without signing in), display_secret and the displays above."""
    data = bundled_copy(work)
    raised = datetime(2022, 5, 31, 18, tzinfo=UTC)
    long = "a message long enough to need more than one line of a wall screen, " * 3
    seven = [
        alert(f"spike/{n}/PTI", "spike", "PTI", raised + timedelta(minutes=n), f"#Tag{n}: {long}", True)
        for n in range(7)
    ]
    alerts.add_alerts(Store(data), alerts.as_frame(seven))  # the 5 newest are shown, however long
    add_live_space(data)  # sampled by a watcher whose heartbeat each test writes afresh (write_status)
    displays = work / "displays.toml"
    displays.write_text(DISPLAYS, encoding="utf-8")
    port = _free_port()
    secrets = work / "secrets.toml"
    secrets.write_text(
        f'display_secret = "{SECRET}"\n\n[auth]\nredirect_uri = "http://localhost:{port}/oauth2callback"\n'
        f'cookie_secret = "{COOKIE_SECRET}"\nclient_id = "campaign-pulse"\nclient_secret = "not-a-secret"\n'
        f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n' + ACCESS.format(anonymous="none"),
        encoding="utf-8",
    )
    log = ARTIFACTS / "streamlit-display.log"
    env = {"PULSE_DISPLAYS": str(displays), "PULSE_DISPLAY_SECRET": None}
    with streamlit_server(data, log, secrets, env, port) as url:
        yield url, data, log


@pytest.fixture(scope="module")
def board(provider, tmp_path_factory):  # noqa: F811
    with served(provider, tmp_path_factory.mktemp("display")) as running:
        yield running


def pulse_cli(data: Path, *args: str) -> str:
    """`python -m pulse display-link …` as a newsroom runs it, with the secret in its environment."""
    env = {**os.environ, "PULSE_DISPLAY_SECRET": SECRET, "PULSE_DISPLAYS": str(data.parent / "displays.toml")}
    done = subprocess.run(
        [sys.executable, "-m", "pulse", "display-link", *args, "--data", str(data)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return done.stdout


def share(board_: tuple, display: str, expires: str = "7d") -> tuple[str, str]:
    """A new link to `display`: (its id, its address on this server)."""
    url, data, _ = board_
    head, address = pulse_cli(data, "create", "--display", display, "--expires", expires, "--url", url).splitlines()
    return head.split()[1], address


@pytest.fixture
def screen(browser):  # noqa: F811
    made = []

    def make(width: int = 1280, height: int = 720):
        context = browser.new_context(viewport={"width": width, "height": height})
        prepare_context(context)
        made.append(context)
        return context.new_page()

    yield make
    for context in made:
        context.close()


def open_display(page, address: str) -> None:
    open_page(page, address)
    page.wait_for_selector("[data-panel]")
    wait_until_idle(page)


def test_every_panel_and_the_grid_fit_both_sizes_in_large_text(board, screen):
    for width, height in SIZES:
        page = screen(width, height)
        for display in [f"only-{panel}" for panel in PANELS] + ["grid", "grid-live"]:
            _, address = share(board, display)
            write_status(board[1], datetime.now(UTC), ["live1"])
            open_display(page, address)
            name = f"{display.removeprefix('only-')}-{width}x{height}"
            screenshot(page, SHOTS / f"{name}.png")
            assert page.evaluate(_OVERFLOW) == [], name
            sizes = page.evaluate(_SIZES)
            assert sizes["chrome"] == [], name
            assert sizes["labels"] and min(sizes["labels"]) >= 20, (name, sizes["labels"])
            if display != "only-alerts":  # alerts are lines of text
                assert sizes["figures"] and min(sizes["figures"]) >= 48, (name, sizes["figures"])


def test_the_display_rotates_on_time(board, screen):
    page = screen()
    _, address = share(board, "wall")
    open_display(page, address)
    place = page.get_by_test_id("display-place")
    seen, started = [(place.inner_text(), time.monotonic())], time.monotonic()
    while len(seen) < 4 and time.monotonic() - started < 4 * ROTATE_S + 10:
        page.wait_for_timeout(100)
        shown = place.inner_text()
        if shown != seen[-1][0]:
            seen.append((shown, time.monotonic()))
    assert [text for text, _ in seen] == ["1 / 3", "2 / 3", "3 / 3", "1 / 3"]
    gaps = [later - earlier for (_, earlier), (_, later) in zip(seen[1:], seen[2:], strict=False)]
    assert all(abs(gap - ROTATE_S) <= 1.0 for gap in gaps), gaps


def test_a_merge_shows_within_one_refresh_without_a_reload(board, screen):
    url, data, _ = board
    page = screen(1920, 1080)
    _, address = share(board, "mqm")
    open_display(page, address)
    figure = page.locator('[data-panel="today"] .pd-fig').first
    before = int(figure.inner_text().replace(",", ""))
    page.evaluate("() => { window.__sameDocument = true; }")
    store = Store(data, actor=Actor("desk@party.example", "editor"))
    ingest.merge(store, ingest.inspect(MERGED_HOUR, "hashtags.csv", "hashtags"), "Asia/Karachi")
    merged = time.monotonic()
    page.wait_for_function(
        "([before]) => parseInt(document.querySelector('[data-panel=\"today\"] .pd-fig').innerText.replace(/,/g, ''))"
        " !== before",
        arg=[before],
        timeout=(REFRESH_S + 5) * 1000,
    )
    took = time.monotonic() - merged
    assert int(figure.inner_text().replace(",", "")) == before + 1000
    assert page.evaluate("() => window.__sameDocument") is True  # the same page: no reload
    assert took <= REFRESH_S + 2, took


def test_a_link_opens_its_display_and_nothing_else_with_sign_in_on(board, screen):
    url, data, log = board
    page = screen()
    link_id, address = share(board, "only-share")
    token = address.split("link=", 1)[1]
    open_display(page, address)
    assert page.locator('[data-panel="share"]').count() == 1
    assert page.get_by_role("button", name="Sign in").count() == 0
    for other in ("Spaces", "Data", "Audit", "Overview"):  # the link's page is the only one: any address shows it
        open_display(page, f"{url}/{other}?link={token}")
        assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    for other in ("", "Spaces", "Display"):  # without the link, the sign-in page only
        open_page(page, f"{url}/{other}")
        assert page.get_by_role("button", name="Sign in").count() == 1
        assert page.locator("[data-panel]").count() == 0

    tampered = address[:-4] + ("AAAA" if not address.endswith("AAAA") else "BBBB")
    now = datetime.now(UTC)
    expired = create_link(Store(data), "only-share", now + timedelta(seconds=1), "", now)
    old = f"{url}/Display?link={token_for(expired, SECRET.encode())}"
    revoked_id, revoked = share(board, "only-share")
    pulse_cli(data, "revoke", revoked_id)
    time.sleep(1.5)
    for address_, refusal in ((tampered, "does not work here"), (old, "has expired"), (revoked, "has been revoked")):
        open_page(page, address_)
        assert page.get_by_text(refusal).count() == 1, refusal
        assert page.locator("[data-panel], [data-testid='stPlotlyChart']").count() == 0
    logged = log.read_text(errors="replace")
    assert "display link refused: bad signature" in logged
    assert f"display link refused: expired (link {expired.id})" in logged
    assert f"display link refused: revoked (link {revoked_id})" in logged
    assert token not in logged and revoked.split("link=", 1)[1] not in logged
    assert read_links(data)[link_id].revoked_at is None


def test_revoking_closes_an_open_screen_at_its_next_refresh(board, screen):
    _, data, _ = board
    page = screen()
    link_id, address = share(board, "only-today")
    open_display(page, address)
    page.evaluate("() => { window.__sameDocument = true; }")
    pulse_cli(data, "revoke", link_id)
    revoked = time.monotonic()
    page.get_by_text("has been revoked").wait_for(timeout=(REFRESH_S + 5) * 1000)
    took = time.monotonic() - revoked
    assert page.locator("[data-panel]").count() == 0
    assert took <= REFRESH_S + 2, took
    screenshot(page, SHOTS / "revoked-1280x720.png")
