"""Who drives it, in a real browser: the Hashtags page shows the drivers, the concentration chart and the bursts,
from the bundled raw sample (account ids and hostile text are checked in tests/test_drivers_pages.py: the grid
only exposes the columns in view)."""

from .streamlit_dom import grid_records


def test_hashtags_page_shows_who_drives_each_hashtag(visitor):
    person = visitor()
    page = person.page
    person.open("Hashtags")
    heading = page.get_by_text("Who drives it", exact=True)
    heading.scroll_into_view_if_needed()
    assert page.get_by_text("authors and texts here from a raw sample").count() == 1
    person.shot("hashtags-who-drives-it")
    frames = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]')
    bursts = grid_records(frames.last, rows=3)
    assert [row["Accounts"] for row in bursts] == ["48", "22", "15"]
    assert bursts[0]["Text (first copy)"].startswith("Imported hakumat na manzoor!")
    concentration = page.locator('[data-testid="stPlotlyChart"]').filter(
        has_text="Share of tweets by the most active authors"
    )
    assert concentration.count() == 1
    assert concentration.get_by_text("top 1 % of authors").count() == 1  # the legend
