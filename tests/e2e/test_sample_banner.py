"""Scenario: a journalist opens the dashboard on the bundled sample. Every page says, above its title, that the data is
illustrative and only figures with a source are reported facts, with the data notes one click away; on a phone too.
On a data directory of one's own, no page says it."""

import shutil

import pytest

from pulse.config import SAMPLE_MARKER

from .streamlit_dom import ROOT, app_pages

BANNER = '[data-testid="stMain"] .st-key-sample-banner'
SAID = "Sample data from 2022, for illustration. Figures with a source link are reported facts"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def sample(app):
    """The app's data directory marked as the bundled sample, as data/ is, for this test only."""
    marker = app.data_dir / SAMPLE_MARKER
    shutil.copy(ROOT / "data" / SAMPLE_MARKER, marker)
    yield app.data_dir
    marker.unlink()


def test_every_page_says_the_sample_is_illustrative(sample, visitor):
    person = visitor()
    for app_page in app_pages():
        person.open(app_page.url_path)
        banner = person.page.locator(BANNER)
        assert SAID in banner.inner_text(), app_page.title
        title = person.page.locator('[data-testid="stMain"] h1').first
        assert banner.bounding_box()["y"] < title.bounding_box()["y"], f"the banner is below the title on {app_page}"
    person.page.get_by_text("What is reported, what is generated").click()
    assert "446,000 listeners in total" in person.page.locator(BANNER).inner_text()
    person.shot("notes-open")


def test_the_banner_fits_a_phone(sample, visitor):
    person = visitor(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    person.open()
    box = person.page.locator(BANNER).bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert person.page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]


def test_a_directory_of_ones_own_shows_no_banner(app, visitor):
    assert not (app.data_dir / SAMPLE_MARKER).exists()
    person = visitor()
    for app_page in app_pages():
        person.open(app_page.url_path)
        assert person.page.locator(BANNER).count() == 0, app_page.title
