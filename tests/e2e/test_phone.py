"""Every page on a phone (390 × 844): no horizontal page scroll, no chart wider than the screen, no console error,
and no request to any host but the app. The screenshots stay in test-artifacts/e2e/ to be looked at."""

from urllib.parse import urlsplit

import pytest

from .streamlit_dom import app_pages

PHONE = {"width": 390, "height": 844}

_WIDEST = """() => Math.max(0, ...[...document.querySelectorAll('[data-testid="stPlotlyChart"], .js-plotly-plot')]
    .map(e => e.getBoundingClientRect().right))"""


@pytest.mark.parametrize("app_page", app_pages(), ids=lambda p: p.url_path or "overview")
def test_every_page_fits_a_phone(visitor, app, app_page):
    person = visitor(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    outside: list[str] = []

    def note(request) -> None:
        address = urlsplit(request.url)  # data: and blob: URLs are the page's own
        if address.scheme in ("http", "https", "ws", "wss") and address.netloc != urlsplit(app.url).netloc:
            outside.append(request.url)

    person.page.on("request", note)
    person.open(app_page.url_path)
    page = person.page
    person.shot("phone")

    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert inner == PHONE["width"]
    assert width <= inner, f"{app_page.file.name} scrolls sideways: {width} px wide on a {inner} px screen"
    widest = page.evaluate(_WIDEST)
    assert widest <= inner, f"{app_page.file.name}: a chart reaches {widest} px on a {inner} px screen"
    assert outside == [], f"{app_page.file.name} asked other hosts: {outside}"
    assert person.console_errors == [], f"browser console errors on {app_page.file.name}"
