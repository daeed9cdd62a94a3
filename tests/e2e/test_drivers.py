"""Who drives it, in a real browser: the Hashtags page shows the drivers, the concentration chart and the bursts,
with pseudonymised accounts and hostile-free text, from the bundled raw sample."""

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
    assert all(i.startswith("a-") for i in bursts[0]["Accounts (first 20)"].split("|"))
    charts = page.locator('[data-testid="stPlotlyChart"]')
    assert charts.count() >= 4  # volume, unique authors or share of voice, and the concentration chart
