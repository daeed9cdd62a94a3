"""Scenario: a custom date range picked in the sidebar's calendar, one end at a time, and the periods in the URL."""

from urllib.parse import parse_qs, urlsplit

from .streamlit_dom import metrics, rerun_after, runs


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def x_ticks(page) -> list[str]:
    return [t.text_content() for t in page.locator('[data-testid="stPlotlyChart"] .xtick text').all()]


def test_picking_one_end_of_a_custom_range_keeps_the_page_then_the_other_end_applies_it(visitor):
    person = visitor()
    page = person.page
    person.open()
    sidebar = page.locator('[data-testid="stSidebar"]')
    rerun_after(page, lambda: sidebar.get_by_text("Custom", exact=True).click())
    assert query(page.url)["period"] == ["Custom"]
    cards = metrics(page)
    heading = page.locator('[data-testid="stMain"] h3').first.inner_text()
    assert heading.startswith("Last 24 hours · to 1 Jun 2022 05:00 PKT")

    sidebar.locator('[data-testid="stDateInputCalendarButton"]').click()
    before = runs(page)
    page.locator('[aria-label^="Thursday, March 10, 2022"]').click()  # the calendar opens on the range's start
    page.wait_for_function("n => (window.__pulseRuns || 0) > n", arg=before)  # only the date input's fragment
    page.wait_for_timeout(1500)  # a page rerun, were there one, would have started by now
    person.shot("1-first-end-picked")
    assert sidebar.get_by_text("Pick the other end of the range").is_visible()
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Campaign Pulse"
    assert page.locator('[data-testid="stMain"] [data-testid="stPlotlyChart"] .main-svg').count() > 0
    assert metrics(page) == cards  # the page still shows the last complete range
    assert page.locator('[data-testid="stMain"] h3').first.inner_text() == heading
    assert not any("23:59" in tick for tick in x_ticks(page)), x_ticks(page)

    rerun_after(page, lambda: page.locator('[aria-label^="Sunday, March 20, 2022"]').click())
    person.shot("2-range-applied")
    assert query(page.url)["dates"] == ["2022-03-10", "2022-03-20"]
    heading = page.locator('[data-testid="stMain"] h3').first.inner_text()
    assert heading.startswith("Last 24 hours · to 21 Mar 2022 00:00")
    assert metrics(page) != cards
    assert person.console_errors == []


def test_a_one_day_range_is_drawn_by_the_hour_with_a_readable_axis(visitor, app):
    person = visitor()
    person.open(app.at("?period=Custom&dates=2022-04-21"))  # the URL a one-day range gets
    person.shot("one-day")
    page = person.page
    title = page.locator('[data-testid="stPlotlyChart"] .gtitle').first.text_content()
    assert title == "Tweets per hour, by party"
    ticks = x_ticks(page)
    assert ticks and all(":00" in t for t in ticks), ticks  # hours, with the day under the first
    assert not any("23:59" in t or ".999" in t for t in ticks), ticks


def test_a_period_is_kept_in_the_url_and_a_link_opens_it(visitor):
    person = visitor()
    page = person.page
    person.open()
    rerun_after(page, lambda: page.locator('[data-testid="stSidebar"]').get_by_text("Last 7 days", exact=True).click())
    assert query(page.url)["period"] == ["Last 7 days"]
    cards = metrics(page)
    colleague = visitor()
    colleague.open(page.url)
    assert colleague.page.locator('[data-testid="stSidebar"] input[type="radio"]:checked').count() == 1
    assert metrics(colleague.page) == cards


def test_typed_dates_apply_on_enter(visitor, app):
    person = visitor()
    page = person.page
    person.open(app.at("?period=Custom"))
    sidebar = page.locator('[data-testid="stSidebar"]')
    before = runs(page)
    sidebar.locator('[aria-label="month, Dates (local) start date"]').click()
    page.keyboard.type("04")
    page.keyboard.type("10")  # the day segment comes next: 2022-04-10
    page.wait_for_timeout(1500)
    assert runs(page) == before  # typing alone does not rerun
    rerun_after(page, lambda: page.keyboard.press("Enter"))
    person.shot("typed-start-applied")
    assert query(page.url)["dates"] == ["2022-04-10", "2022-06-01"]
    rows = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    assert rows.is_visible()
    assert person.console_errors == []
