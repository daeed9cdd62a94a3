"""The Spaces page's party benchmark and the Hashtags page's "Who drives it" on the bundled data (AppTest)."""

import polars as pl

from tests import test_pages
from tests.test_pages import bundled, csv_of, figure, metric, run

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
