"""`python -m pulse export --campaign`: a campaign is exported whole, whichever spelling names it (issue 24), through
the real command line on the bundled data. Expected values come from the bundled CSV files with plain polars."""

import polars as pl

from tests.conftest import BUNDLED
from tests.test_cli import export, read

CAMPAIGN = "ImportedHakumatNaManzoor"


def spellings() -> set[str]:
    groups = pl.read_csv(BUNDLED / "hashtag_groups.csv")
    return set(groups.filter(pl.col("campaign") == CAMPAIGN)["hashtag"])


def test_a_spelling_exports_its_whole_campaign(tmp_path):
    every = spellings()
    assert len(every) == 3  # two Latin spellings and the Urdu one
    counts = pl.read_csv(BUNDLED / "hashtags.csv").filter(pl.col("hashtag").is_in(list(every)))
    assert counts["tweets"].sum() == 7_352_136  # the campaign's total; ImportedHakumatNaManzoor alone has 5,063,361
    result = export("--data", str(BUNDLED), "--out", str(tmp_path), "--campaign", "ImportedHakoomatNaManzoor")
    assert result.returncode == 0, result.stderr
    daily = read(tmp_path / "hashtag_daily.csv")
    assert set(daily["hashtag"]) == every
    assert daily["tweets"].cast(pl.Int64).sum() == 7_352_136
    assert set(read(tmp_path / "hashtag_drivers.csv")["hashtag"]) == every
    bursts = read(tmp_path / "copy_bursts.csv")
    assert bursts["burst_id"].to_list() == [str(n) for n in range(1, bursts.height + 1)]  # numbered as listed
    assert all(set(tags.split("|")) <= every for tags in bursts["hashtags"])
    # Share of voice is against every hashtag: the party tables are not narrowed.
    every_hashtag = pl.read_csv(BUNDLED / "hashtags.csv")["tweets"].sum()
    assert read(tmp_path / "party_daily.csv")["tweets"].cast(pl.Int64).sum() == every_hashtag


def test_an_unknown_campaign_is_refused_with_the_known_ones(tmp_path):
    out = tmp_path / "out"
    result = export("--data", str(BUNDLED), "--out", str(out), "--campaign", CAMPAIGN, "NoSuchCampaign")
    assert result.returncode == 2
    assert "--campaign NoSuchCampaign: no hashtag in the data belongs to it; known campaigns: BilawalBhutto" in (
        result.stderr
    )
    assert not out.exists()
