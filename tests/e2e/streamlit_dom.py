"""Reading and waiting on a running Streamlit app in the browser: the few DOM facts the e2e tests rely on."""

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 60_000

# Counts finished script runs: every time stApp's data-test-script-state leaves "running".
# Counting transitions (not reading the current state) is what makes "wait for the rerun my click caused"
# reliable: right after a click the state is still "notRunning" from the previous run.
RUN_COUNTER = """
window.__pulseRuns = 0;
new MutationObserver(records => {
  for (const r of records) if (r.oldValue === 'running') window.__pulseRuns += 1;
}).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                      attributeFilter: ['data-test-script-state']});
"""

_IDLE_AFTER = """
n => {
  const app = document.querySelector('[data-testid="stApp"]');
  return (window.__pulseRuns || 0) > n
    && app && app.dataset.testConnectionState === 'CONNECTED'
    && app.dataset.testScriptState === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-testid="stSkeleton"]')
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'));
}
"""

# Streamlit's usage metrics, which cannot be fetched on the closed network of the test machine. Nothing else from
# outside: the app asks no other host for anything (the page icon is its own file), so a failed outside request
# is an error like any other.
_NOISE = (
    re.compile(r"Failed to fetch metrics config"),
    re.compile(r"deactivating metrics tracking"),
)
# Opened directly at /<Page>, the frontend first probes /<Page>/_stcore/... for a base path and gets a 404 before
# it tries / (streamlit/streamlit#7074). Only that probe is noise: any other 404 is ours.
_NOT_FOUND = "Failed to load resource: the server responded with a status of 404 (Not Found)"
_BASE_PATH_PROBE = re.compile(r"^/[^/]+/_stcore/(health|host-config)$")


def prepare_context(context: BrowserContext) -> None:
    context.add_init_script(RUN_COUNTER)
    context.set_default_timeout(TIMEOUT_MS)


def runs(page: Page) -> int:
    return page.evaluate("window.__pulseRuns || 0")


def wait_until_idle(page: Page, after_runs: int = 0, timeout_ms: int = TIMEOUT_MS) -> None:
    """Until a script run newer than `after_runs` has finished, the status widget is gone, lazily loaded
    elements (tables, uploaders, buttons) have replaced their skeletons and plotly has drawn every chart."""
    page.wait_for_function(_IDLE_AFTER, arg=after_runs, timeout=timeout_ms)


def open_page(page: Page, url: str, timeout_ms: int = TIMEOUT_MS) -> None:
    """Load a URL and wait for its first script run (the first connection starts it) to finish."""
    page.goto(url)
    wait_until_idle(page, timeout_ms=timeout_ms)


def rerun_after(page: Page, action) -> None:
    """Do something that makes the app rerun (a widget change, a nav click) and wait until that run is done."""
    before = runs(page)
    action()
    wait_until_idle(page, before)


def is_known_noise(text: str, source_url: str, app_url: str) -> bool:
    if any(p.search(text) for p in _NOISE):
        return True
    source, app = urlsplit(source_url), urlsplit(app_url)
    return source.netloc == app.netloc and text == _NOT_FOUND and bool(_BASE_PATH_PROBE.match(source.path))


def metrics(page: Page) -> dict[str, str]:
    """The KPI cards: label -> value as shown."""
    shown = {}
    for card in page.locator('[data-testid="stMain"] [data-testid="stMetric"]').all():
        label = card.locator('[data-testid="stMetricLabel"]').inner_text().strip()
        shown[label] = card.locator('[data-testid="stMetricValue"]').inner_text().strip()
    return shown


_GRID = """t => JSON.stringify({
    rowcount: Number(t.getAttribute('aria-rowcount')),
    colcount: Number(t.getAttribute('aria-colcount')),
    headers: [...t.querySelectorAll('thead th')].map(c => c.innerText.trim()),
    rows: [...t.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')].map(c => c.innerText)),
})"""


def grid(frame: Locator, rows: int | None = None) -> dict:
    """A st.dataframe's content. It is drawn on a canvas (glide data grid); the grid keeps an accessible table
    of the same cells next to it, with raw (unformatted) values and the total row count (header included) in
    aria-rowcount. The grid rewrites that table 200 ms after its last change (a debounced memo in glide), so
    after a rerun it shows the old rows for a moment: wait for the expected row count when it is known, else
    until it stops changing. Only the rows in view are in the table; the tests read small tables."""
    table = frame.locator("table[aria-rowcount]")
    try:
        table.wait_for(state="attached", timeout=10_000)
    except PlaywrightTimeoutError:
        # Seen once in a cold first run: the grid never wrote its table. The table is a debounced memo of the
        # grid's width (among others), so a 1 px change of the viewport's width makes the grid write it again.
        print("accessible table of a st.dataframe missing after 10 s: nudging the grid with a resize")
        page, viewport = frame.page, frame.page.viewport_size
        page.set_viewport_size({"width": viewport["width"] - 1, "height": viewport["height"]})
        page.set_viewport_size(viewport)
        table.wait_for(state="attached")
    if rows is not None:
        table.and_(frame.locator(f'table[aria-rowcount="{rows + 1}"]')).wait_for(state="attached")
    last, stable_since = table.evaluate(_GRID), time.monotonic()
    while time.monotonic() - stable_since < 0.6:
        frame.page.wait_for_timeout(150)
        now = table.evaluate(_GRID)
        if now != last:
            last, stable_since = now, time.monotonic()
    content = json.loads(last)
    assert len(content["rows"]) == content["rowcount"] - 1, "the accessible table shows only part of the rows"
    return content


def grid_records(frame: Locator, rows: int | None = None) -> list[dict[str, str]]:
    content = grid(frame, rows)
    return [dict(zip(content["headers"], row, strict=True)) for row in content["rows"]]


def party_summary(page: Page, rows: int | None = None) -> dict[str, dict[str, str]]:
    """The overview's party summary (its last table) as shown: party -> column label -> raw value."""
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').last
    return {row["Party"]: row for row in grid_records(table, rows)}


def party_ranking(page: Page, rows: int | None = None) -> dict[str, str]:
    """The overview's first table, the parties ranked by the last 24 hours: party -> its 24 h tweets (raw)."""
    table = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    return {row["Party"]: row["24 h"] for row in grid_records(table, rows)}


def plotly_trace_counts(page: Page) -> list[int]:
    """Number of traces plotly has drawn in every chart on the page."""
    return page.evaluate("() => [...document.querySelectorAll('.js-plotly-plot')].map(e => (e._fullData || []).length)")


def nav_link(page: Page, href: str) -> Locator:
    """The sidebar link to a page, by its full address (Streamlit writes absolute hrefs)."""
    return page.locator(f'[data-testid="stSidebarNav"] a[href="{href}"]')


def sidebar_multiselect(page: Page, label: str) -> Locator:
    return page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"]').filter(
        has=page.locator('[data-testid="stWidgetLabel"]', has_text=re.compile(rf"^{re.escape(label)}$"))
    )


def selected(multiselect: Locator) -> list[str]:
    return [tag.get_attribute("aria-label") for tag in multiselect.locator("span[data-tag]").all()]


def screenshot(page: Page, path: Path, max_height: int = 8000) -> None:
    """The whole page. Streamlit scrolls inside its own container, which full_page cannot see past: make the
    viewport as tall as the content for the picture, then put it back."""
    path.parent.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    content = page.evaluate(
        """() => Math.max(...['stMain', 'stAppViewContainer', 'stSidebarContent']
            .map(id => document.querySelector(`[data-testid="${id}"]`)?.scrollHeight || 0))"""
    )
    tall = viewport and content > viewport["height"]
    if tall:
        page.set_viewport_size({"width": viewport["width"], "height": min(content, max_height)})
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    try:
        page.screenshot(path=str(path), full_page=True)
    finally:
        if tall:
            page.set_viewport_size(viewport)


@dataclass(frozen=True)
class AppPage:
    file: Path
    title: str
    url_path: str  # "" for the main script


def app_pages(root: Path = ROOT) -> list[AppPage]:
    """Every page the app declares (pulse.ui.session.PAGES, given to st.navigation), the overview first at the root."""
    from pulse.ui.session import PAGES

    return [AppPage(root / path, title, "" if i == 0 else title) for i, (path, title) in enumerate(PAGES)]
