"""The Claims page in Chromium, at desktop and phone width: every bundled claim with its badge, the chart, the link
from a claim to its Space on the Spaces page, and no sideways scroll on a phone."""

import re

import pytest

from .streamlit_dom import metrics

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_ledger_reads_and_links_to_the_space(visitor, viewport):
    phone = viewport is PHONE
    person = visitor(viewport, **({"is_mobile": True, "has_touch": True} if phone else {}))
    person.open("Claims")
    page = person.page
    # The first visit may still be checking the claims (a cold cache) when the first run settles.
    page.locator('[data-testid="stMetricLabel"]', has_text="Unverifiable").wait_for(timeout=60_000)
    person.shot("claims")
    shown = metrics(page)
    assert (shown["Accurate"], shown["Overstated"], shown["Unverifiable"]) == ("3", "3", "0")
    badges = page.locator('[data-testid="stMain"] [data-testid="stMarkdownContainer"] span', has_text="Overstated")
    assert badges.count() >= 3
    assert page.locator('[data-testid="stPlotlyChart"] .main-svg').first.is_visible()
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width <= inner, f"the Claims page scrolls sideways: {width} px on a {inner} px screen"

    link = page.get_by_role("link", name="The Space on Spaces").first
    link.scroll_into_view_if_needed()
    link.click()
    page.wait_for_url(re.compile(r"/Spaces\?(.*&)?space=sp-0020"))
    page.get_by_text("claims about this Space on the Claims page").first.wait_for()
    person.shot("spaces-with-claim")
    assert person.console_errors == []
