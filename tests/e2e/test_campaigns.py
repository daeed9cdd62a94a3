"""Campaigns on the Hashtags page in a real browser (issue 24): a spelling from an old link opens the whole
campaign, not one spelling of it; the picker lists campaigns; the choice follows Lines both ways and lives in the URL.
Expected totals come from the bundled CSV files with plain polars."""

from urllib.parse import parse_qs, urlsplit

import polars as pl

from tests.conftest import BUNDLED

from .streamlit_dom import metrics, rerun_after, selected, sidebar_multiselect, wait_until_idle

CAMPAIGN = "ImportedHakumatNaManzoor"


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def lines(page, choice: str):
    return page.get_by_role("radiogroup", name="Lines").get_by_role("radio", name=choice)


def settled(page) -> None:
    """Until the cards are drawn: a session's first run on a fresh server reruns once (session.setup_page)."""
    page.locator('[data-testid="stMain"] [data-testid="stMetric"]').first.wait_for()
    wait_until_idle(page)


def test_a_spelling_from_an_old_link_opens_the_whole_campaign(visitor):
    groups = pl.read_csv(BUNDLED / "hashtag_groups.csv")
    spellings = sorted(groups.filter(pl.col("campaign") == CAMPAIGN)["hashtag"])
    counts = pl.read_csv(BUNDLED / "hashtags.csv")
    total = counts.filter(pl.col("hashtag").is_in(spellings))["tweets"].sum()
    assert f"{total:,}" == "7,352,136"  # the one spelling the link names has 5,063,361

    person = visitor()
    page = person.page
    person.open("Hashtags?lines=Campaigns&measure=Cumulative&hashtag=ImportedHakoomatNaManzoor")
    settled(page)
    person.shot("1-old-link-by-campaign")
    shown = metrics(page)
    assert (shown["Tweets"], shown["Top campaign"]) == ("7,352,136", "7,352,136")
    assert page.get_by_text("1 campaign shown", exact=True).count() == 1
    assert selected(sidebar_multiselect(page, "Campaigns")) == [CAMPAIGN]
    link = query(page.url)
    assert link["campaign"] == [CAMPAIGN] and "hashtag" not in link

    rerun_after(page, lambda: lines(page, "Hashtags").click())
    person.shot("2-by-hashtag")
    assert sorted(selected(sidebar_multiselect(page, "Hashtags"))) == spellings  # every spelling of it
    assert metrics(page)["Tweets"] == "7,352,136"
    assert page.get_by_text("3 hashtags shown", exact=True).count() == 1
    assert sorted(query(page.url)["hashtag"]) == spellings and "campaign" not in query(page.url)

    rerun_after(page, lambda: lines(page, "Campaigns").click())
    assert selected(sidebar_multiselect(page, "Campaigns")) == [CAMPAIGN]
    assert metrics(page)["Top campaign"] == "7,352,136"

    colleague = visitor()  # nothing but the link in common
    colleague.open(page.url)
    settled(colleague.page)
    colleague.shot("3-link-opened-by-a-colleague")
    assert selected(sidebar_multiselect(colleague.page, "Campaigns")) == [CAMPAIGN]
    assert metrics(colleague.page)["Top campaign"] == "7,352,136"
