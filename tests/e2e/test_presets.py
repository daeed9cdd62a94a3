"""Scenario: a war-room lead picks "Last 24 hours", then "Last 7 days": each party's row on the Overview shows one
figure per window, the heading dates the data, and the page says how old it is."""

from .streamlit_dom import party_summary, rerun_after

# The bundled hashtags end at 1 Jun 2022 05:00 PKT. PTI tweeted 59,928 times in the 24 hours to then and 1,067,572
# in the 168 hours (the 65,964 and 1,075,855 of the whole local days those hours touch are not shown).
PTI_24_HOURS, PTI_7_DAYS = "59928", "1067572"


def test_a_preset_row_shows_one_figure_per_window(visitor, app):
    person = visitor()
    page = person.page
    person.open(app.at("?period=Last+24+hours"))
    person.shot("1-last-24-hours")
    pti = party_summary(page)["PTI"]
    assert (pti["Tweets"], pti["Last 24 h"]) == (PTI_24_HOURS, PTI_24_HOURS)
    main = page.locator('[data-testid="stMain"]')
    assert main.locator("h3").first.inner_text().startswith("Last 24 hours · to 1 Jun 2022 05:00 PKT")
    age = main.get_by_test_id("stAlertContentInfo").filter(has_text="The data ends 1 Jun 2022 05:00 PKT,")
    assert age.is_visible() and " ago" in age.inner_text()
    assert page.locator('[data-testid="stSidebar"]').get_by_text("exactly, in every table and chart").is_visible()
    latest = main.locator('[data-testid="stMetric"]').filter(has_text="Latest Space")
    assert "PTI's usual" in latest.inner_text() and "median" not in latest.inner_text()

    sidebar = page.locator('[data-testid="stSidebar"]')
    rerun_after(page, lambda: sidebar.get_by_text("Last 7 days", exact=True).click())
    person.shot("2-last-7-days")
    pti = party_summary(page)["PTI"]
    assert (pti["Tweets"], pti["Last 7 days"]) == (PTI_7_DAYS, PTI_7_DAYS)
    assert person.console_errors == []
