"""Scenario: a journalist opens the dashboard on the bundled sample. Every page says, above its title, that the data is
illustrative and only figures with a source are reported facts, with the data notes one click away; on a phone too.
On a data directory of one's own, no page says it."""

import shutil

import pytest
from playwright.sync_api import expect

from pulse.config import SAMPLE_MARKER

from .streamlit_dom import ROOT, TIMEOUT_MS, app_pages

BANNER = '[data-testid="stMain"] .st-key-sample-banner'
# The page's script run has finished: what it shows above its title is there (its tables and charts may still be
# drawing, which this test does not need to wait for).
RUN_DONE = """() => (window.__pulseRuns || 0) > 0
  && document.querySelector('[data-testid="stApp"]').dataset.testScriptState === 'notRunning'"""
SAID = "Sample data from 2022, for illustration. Figures with a source link are reported facts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def sample(app):
    """The app's data directory marked as the bundled sample, as data/ is, for this test only."""
    marker = app.data_dir / SAMPLE_MARKER
    shutil.copy(ROOT / "data" / SAMPLE_MARKER, marker)
    yield app.data_dir
    marker.unlink()


def open_run(person, path: str) -> None:
    """Open a page of the app and wait until its script has run and its title is shown (the banner, if any, is drawn
    before the title, in the same run)."""
    person.page.goto(person.app.at(path))
    person.page.wait_for_function(RUN_DONE, timeout=3 * TIMEOUT_MS)
    person.page.locator('[data-testid="stMain"] h1').first.wait_for(timeout=3 * TIMEOUT_MS)


@pytest.mark.parametrize("app_page", app_pages(), ids=lambda p: p.url_path or "overview")
def test_every_page_says_the_sample_is_illustrative(sample, visitor, app_page):
    person = visitor()
    open_run(person, app_page.url_path)
    banner = person.page.locator(BANNER)
    assert SAID in banner.inner_text()
    title = person.page.locator('[data-testid="stMain"] h1').first
    assert banner.bounding_box()["y"] < title.bounding_box()["y"], "the banner is below the title"
    person.page.get_by_text("What is reported, what is generated").click()
    expect(banner).to_contain_text("446,000 listeners in total")


def test_the_banner_fits_a_phone(sample, visitor):
    person = visitor(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    open_run(person, "")
    box = person.page.locator(BANNER).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert person.page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]


@pytest.mark.parametrize("app_page", app_pages(), ids=lambda p: p.url_path or "overview")
def test_a_directory_of_ones_own_shows_no_banner(app, visitor, app_page):
    assert not (app.data_dir / SAMPLE_MARKER).exists()
    person = visitor()
    open_run(person, app_page.url_path)
    assert person.page.locator(BANNER).count() == 0
