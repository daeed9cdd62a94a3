"""The Hashtags page by campaign, through Streamlit's AppTest on the bundled data: its picker lists campaigns, and a
spelling from an old link selects the whole campaign (issue 24). Expected totals come from the bundled CSV files
with plain polars."""

import polars as pl

from tests.conftest import BUNDLED
from tests.test_pages import metric, run

CAMPAIGN = "ImportedHakumatNaManzoor"


def campaign_spellings() -> list[str]:
    groups = pl.read_csv(BUNDLED / "hashtag_groups.csv")
    return sorted(groups.filter(pl.col("campaign") == CAMPAIGN)["hashtag"])


def campaign_total() -> int:
    counts = pl.read_csv(BUNDLED / "hashtags.csv")
    return counts.filter(pl.col("hashtag").is_in(campaign_spellings()))["tweets"].sum()


def captions(at) -> list[str]:
    return [c.value for c in at.caption]


def test_an_old_links_spelling_selects_its_whole_campaign():
    # ?hashtag= was the one picker's key: a spelling other than the campaign's name, as a link may carry.
    at = run("2_Hashtags", lines="Campaigns", measure="Cumulative", hashtag="ImportedHakoomatNaManzoor")
    assert not at.exception
    assert at.multiselect(key="campaign").value == [CAMPAIGN]
    assert metric(at, "Top campaign") == f"{campaign_total():,}" == "7,352,136"
    assert metric(at, "Tweets") == "7,352,136"
    assert "1 campaign shown" in captions(at)
    assert "hashtag" not in at.query_params and at.query_params["campaign"] == CAMPAIGN  # the link, rewritten


def test_the_campaign_picker_lists_campaigns_and_keeps_them_in_the_link():
    at = run("2_Hashtags", lines="Campaigns", campaign=[CAMPAIGN, "PPPZindabad"])
    assert not at.exception
    picker = at.multiselect(key="campaign")
    assert picker.label == "Campaigns"
    assert picker.options == sorted(pl.read_csv(BUNDLED / "hashtag_groups.csv")["campaign"].unique())
    assert picker.value == [CAMPAIGN, "PPPZindabad"]
    assert "2 campaigns shown" in captions(at)


def test_campaigns_carried_to_hashtags_are_every_spelling():
    at = run("2_Hashtags", lines="Hashtags", campaign=CAMPAIGN)
    assert not at.exception
    assert sorted(at.multiselect(key="hashtag").value) == campaign_spellings()
    assert metric(at, "Tweets") == "7,352,136"
    assert "3 hashtags shown" in captions(at)
