"""The Spaces page's party benchmark and the Hashtags page's "Who drives it" on the bundled data (AppTest)."""

import json
import shutil

import polars as pl

from pulse.charts.spaces import space_overperformance
from pulse.metrics.spaces import space_metrics
from tests import test_pages
from tests.conftest import BUNDLED
from tests.test_pages import bundled, csv_of, figure, metric, run
from tests.test_space_benchmark import spaces

downloads = test_pages.downloads  # the fixture that keeps every downloaded file


def usual_before(spaces: pl.DataFrame, space_id: str) -> float:
    """The party benchmark of one Space, from the CSV with plain Python (docs/metrics.md)."""
    this = spaces.filter(pl.col("space_id") == space_id).row(0, named=True)
    earlier = spaces.filter(
        (pl.col("party") == this["party"])
        & (pl.col("started_at") < this["started_at"])
        & pl.col("total_listeners").is_not_null()
    ).sort("started_at")
    totals = sorted(earlier["total_listeners"].to_list()[-20:])
    cut = len(totals) // 4
    kept = totals[cut : len(totals) - cut]
    return sum(kept) / len(kept)


def test_spaces_page_says_how_far_the_record_space_beat_its_partys_usual(downloads):
    at = run("1_Spaces")
    usual = usual_before(bundled("spaces"), "sp-0020")
    assert metric(at, "Against its party's usual") == f"{446_000 / usual:.1f}× PTI's usual" == "48.1× PTI's usual"
    assert metric(at, "The party's usual before it") == f"{usual:,.0f}"
    ranked = csv_of(at, downloads, "spaces_ranked")
    assert ranked.filter(pl.col("space_id") == "sp-0020")["overperforming"].item() == f"{446_000 / usual:.2f}"
    chart = figure(at, "space_overperformance")
    rated = ranked.filter(pl.col("overperforming").is_not_null())
    assert sorted(t["name"] for t in chart["data"]) == sorted(rated["party"].unique().to_list())
    assert sum(len(t["customdata"]) for t in chart["data"]) == rated.height
    assert any("usual" in c.value and "20 most recent" in c.value for c in at.caption)


def test_a_partys_first_spaces_have_no_usual():
    first = bundled("spaces").filter(pl.col("party") == "JUI-F").sort("started_at")["space_id"][0]
    at = run("1_Spaces", party="JUI-F", space=first)
    assert metric(at, "Against its party's usual") == "–"


def drivers_section(at):
    """The "Who drives it" caption, or the empty-state message that replaces the section."""
    return [c.value for c in at.caption if "uthor" in c.value] + [i.value for i in at.info]


def test_hashtags_page_shows_who_drives_each_hashtag_from_the_bundled_sample(downloads):
    at = run("2_Hashtags")
    assert not at.exception
    caption = drivers_section(at)[0]
    assert "hourly counts" in caption and "raw sample (raw_tweets, 6,137 rows)" in caption
    assert "pseudonymised" in caption
    drivers = csv_of(at, downloads, "hashtag_drivers")
    sample = bundled("raw_tweets")
    pti = sample.filter((pl.col("hashtag") == "ImportedHakumatNaManzoor") & (pl.col("party") == "PTI"))
    row = drivers.filter(pl.col("hashtag") == "ImportedHakumatNaManzoor").row(0, named=True)
    assert int(row["tweets"]) == pti["tweet_id"].n_unique() and int(row["authors"]) == pti["author_id"].n_unique()
    bursts = csv_of(at, downloads, "copy_bursts")
    assert bursts["accounts"].to_list() == ["48", "22", "15"]  # the PPP text has 4 accounts: no burst
    assert bursts["text"][0].startswith("Imported hakumat na manzoor!")
    ids = bursts["account_ids"][0].split("|")
    assert len(ids) == 20 and all(i.startswith("a-") for i in ids)
    assert not set(ids) & set(sample["author_id"].cast(pl.String))
    shares = figure(at, "hashtag_concentration")
    assert [t["name"] for t in shares["data"] if t.get("showlegend") is not False] == [
        "top 1 % of authors",
        "top 10 % of authors",
        "top 50 % of authors",
    ]


def test_campaigns_and_party_filter_change_who_drives_it(downloads):
    at = run("2_Hashtags", lines="Campaigns", party="PPP")
    drivers = csv_of(at, downloads, "campaign_drivers")
    assert set(drivers["party"]) == {"PPP"}
    merged = bundled("raw_tweets").filter(pl.col("hashtag").is_in(["PPPZindabad", "جئے_بھٹو"]))
    campaign = drivers.filter(pl.col("campaign") == "PPPZindabad")
    assert int(campaign["tweets"].item()) == merged["tweet_id"].n_unique()
    assert any("No copy-paste burst" in message for message in drivers_section(at))


def test_without_raw_tweets_the_section_says_what_to_add(tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("*.py", "*.md", "raw_tweets.csv"))
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    at = run("2_Hashtags")
    assert not at.exception
    assert any("add a raw_tweets file" in message for message in drivers_section(at))


def test_hostile_texts_and_hashtags_are_shown_as_text(tmp_path, monkeypatch, downloads):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("*.py", "*.md", "raw_tweets.csv"))
    evil = '<img src=x onerror="alert(1)"> **bold** [link](javascript:alert(1))'
    pl.DataFrame(
        {
            "created_at": [f"2022-04-20T10:00:{s:02}Z" for s in range(0, 50, 10)],
            "party": ["PTI"] * 5,
            "hashtag": ["<b>tag</b>"] * 5,
            "tweet_id": [str(i) for i in range(5)],
            "author_id": [f"1{i}" for i in range(5)],
            "text": [evil] * 5,
        }
    ).write_csv(data / "raw_tweets.csv")
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    monkeypatch.setenv("PULSE_SHOW_AUTHOR_IDS", "true")
    at = run("2_Hashtags")
    assert not at.exception
    bursts = at.dataframe[-1].value  # a dataframe cell is text, never Markdown or HTML
    assert bursts["text"][0] == evil and bursts["account_ids"][0] == "10|11|12|13|14"
    assert not any(evil in m.value for m in at.markdown)
    labels = {y for t in figure(at, "hashtag_concentration")["data"] for y in t.get("y") or [] if y}
    assert labels == {"&lt;b&gt;tag&lt;/b&gt; · PTI"}


def test_a_hostile_host_and_party_stay_text_in_the_overperformance_chart():
    frame = space_metrics(spaces([(f"s{d}", "<b>P</b>", d, 10) for d in range(1, 6)])).with_columns(
        pl.lit("<img src=x onerror=alert(1)>").alias("host")
    )
    chart = json.loads(space_overperformance(frame, {}, "Asia/Karachi").to_json())
    points = [t for t in chart["data"] if t.get("mode") == "markers"]
    assert points[0]["name"] == "&lt;b&gt;P&lt;/b&gt;"
    assert points[0]["customdata"][0][0] == "&lt;img src=x onerror=alert(1)&gt;"
    assert "<img" not in json.dumps(chart["layout"]["annotations"])
