"""`python -m pulse export` writes claims.csv whenever claims exist, and `--claimreview` writes claims.jsonld: a
top-level JSON array of schema.org ClaimReviews, unverifiable claims left out."""

import json
import shutil
from datetime import UTC, date, datetime

import polars as pl

from pulse import cli
from pulse.claims_export import claim_reviews, ledger
from pulse.data.load import load_data_dir
from tests.conftest import BUNDLED

PUBLISHER = "Data Desk <Lahore>"


def test_export_writes_the_claims_ledger(tmp_path, monkeypatch):
    monkeypatch.delenv("PULSE_CLAIMS_PUBLISHER", raising=False)
    assert cli.main(["export", "--data", str(BUNDLED), "--out", str(tmp_path)]) == 0
    assert not (tmp_path / "claims.jsonld").exists()  # only with --claimreview
    ledger = pl.read_csv(tmp_path / "claims.csv", infer_schema=False)
    # every column of the claims dataset in order, each time with its local twin beside it (as every export)
    assert ledger.columns[ledger.columns.index("claimed_at") + 1] == "claimed_at_local"
    assert [c for c in ledger.columns if not c.endswith("_local")][:12] == [
        "claim_id",
        "claimed_at",
        "claimant",
        "claim_text",
        "source_url",
        "subject_type",
        "subject",
        "metric",
        "comparison",
        "claimed_value",
        "window_start",
        "window_end",
    ]
    c002 = ledger.row(1, named=True)
    assert (c002["verdict"], c002["measured_value"], c002["claimed_to_measured"]) == ("overstated", "446000", "1.12")
    assert c002["measured_as_of"] == "2022-04-21T07:00:00Z"
    assert c002["measured_as_of_local"] == "2022-04-21 12:00"


def test_claimreview_has_every_required_field_and_is_valid_json(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_CLAIMS_PUBLISHER", PUBLISHER)
    monkeypatch.chdir(tmp_path)  # no .streamlit/secrets.toml here: the environment names the publisher
    out = tmp_path / "out"
    assert cli.main(["export", "--data", str(BUNDLED), "--out", str(out), "--claimreview"]) == 0
    reviews = json.loads((out / "claims.jsonld").read_text(encoding="utf-8"))
    assert isinstance(reviews, list) and len(reviews) == 6
    today = datetime.now(UTC).date().isoformat()
    first = reviews[0]
    assert first["@context"] == "https://schema.org" and first["@type"] == "ClaimReview"
    assert first["claimReviewed"] == "a total of 446,000 people tuned from around the world to converse with Imran"
    assert first["itemReviewed"] == {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": "thepakistan.pk (press report)"},
        "datePublished": "2022-04-21T07:00:00Z",
        "appearance": {
            "@type": "CreativeWork",
            "url": "https://thepakistan.pk/imran-khan-holds-worlds-largest-twitter-space/",
        },
    }
    assert first["author"] == {"@type": "Organization", "name": PUBLISHER}
    assert first["datePublished"] == today
    ratings = [(r["reviewRating"]["alternateName"], r["reviewRating"]["ratingValue"]) for r in reviews]
    assert ratings == [
        ("Accurate", 4),
        ("Overstated", 1),
        ("Accurate", 4),
        ("Overstated", 1),
        ("Accurate", 4),
        ("Overstated", 1),
    ]
    assert {(r["reviewRating"]["bestRating"], r["reviewRating"]["worstRating"]) for r in reviews} == {(4, 1)}


def test_the_publisher_comes_from_secrets_first(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_CLAIMS_PUBLISHER", "From the environment")
    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text('[claims]\npublisher = "From secrets"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", "--data", str(BUNDLED), "--out", str(tmp_path / "out"), "--claimreview"]) == 0
    reviews = json.loads((tmp_path / "out" / "claims.jsonld").read_text(encoding="utf-8"))
    assert {r["author"]["name"] for r in reviews} == {"From secrets"}


def test_without_a_publisher_claimreview_writes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PULSE_CLAIMS_PUBLISHER", raising=False)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["export", "--data", str(BUNDLED), "--out", str(tmp_path / "out"), "--claimreview"]) == 2
    assert "[claims] publisher" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_unverifiable_claims_are_left_out(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("*.py", "*.md"))
    with (data / "claims.csv").open("a", encoding="utf-8") as file:
        file.write("c-099,2022-04-21T07:00:00Z,Someone,No such Space,,space,sp-9999,total_listeners,equals,1,,\n")
    verdicts = ledger(load_data_dir(data, "Asia/Karachi"), None)
    assert verdicts["verdict"][-1] == "unverifiable"
    reviews = claim_reviews(verdicts, PUBLISHER, date(2026, 12, 7))
    assert [r["claimReviewed"] for r in reviews][-1] != "No such Space" and len(reviews) == 6
