"""Scenario 1: every page (the overview and whatever is in pages/ when the tests run) renders in a real browser."""

import pytest

from .streamlit_dom import app_pages, plotly_trace_counts

# Pages that are forms and tables by design; every other page must draw at least one chart with data.
PAGES_WITHOUT_CHARTS = {"Data", "Alerts"}  # upload, save, undo; a list of alerts (none in the bundled data)


@pytest.mark.parametrize("app_page", app_pages(), ids=lambda p: p.url_path or "overview")
def test_page_renders_without_errors(visitor, app_page):
    person = visitor()
    person.open(app_page.url_path)
    page = person.page
    person.shot("page")

    assert page.locator('[data-testid="stException"]').count() == 0, page.locator(
        '[data-testid="stException"]'
    ).first.inner_text()
    errors = page.locator('[data-testid="stAlertContentError"]')
    assert errors.count() == 0, f"error shown on {app_page.file.name}: {errors.first.inner_text()}"
    assert page.locator('[data-testid="stMain"] h1').first.inner_text().strip(), "the page has no title"
    if app_page.url_path not in PAGES_WITHOUT_CHARTS:
        traces = plotly_trace_counts(page)
        assert traces, f"{app_page.file.name} shows no plotly chart"
        assert any(n > 0 for n in traces), f"{app_page.file.name}: every chart is empty ({traces} traces)"
    assert person.console_errors == [], f"browser console errors on {app_page.file.name}"
