"""The claims ledger for `python -m pulse export`: the verdicts of a data directory's claims, and `--claimreview`'s
claims.jsonld, one schema.org ClaimReview per judged claim as a JSON-LD array (what Google's Fact Check tools read).

Unverifiable claims are left out of claims.jsonld: there is no review to publish.
"""

import json
import os
from datetime import date, datetime
from pathlib import Path

import polars as pl

from pulse.config import SECRETS_FILE, claim_tolerances, file_secret
from pulse.data.dataset import Dataset, RawTweets
from pulse.data.store import atomic_write
from pulse.errors import PulseError
from pulse.metrics.claims import ACCURATE, OVERSTATED, UNDERSTATED, VERDICT_LABELS, Tolerances, claim_verdicts

CLAIMREVIEW_FILE = "claims.jsonld"
PUBLISHER_ENV = "PULSE_CLAIMS_PUBLISHER"
# schema.org Rating: 4 is the best, 1 the worst.
RATINGS = {ACCURATE: 4, UNDERSTATED: 3, OVERSTATED: 1}
BEST_RATING, WORST_RATING = 4, 1


def ledger(data: Dataset, raw: RawTweets | None) -> pl.DataFrame:
    """The claims of `data` with their verdicts, as the Claims page shows them (tolerances from the settings)."""
    return claim_verdicts(data, None if raw is None else raw.rows, Tolerances(*claim_tolerances()))


def publisher(secrets: Path = SECRETS_FILE) -> str:
    """Who publishes the reviews: `[claims] publisher` in secrets.toml, else PULSE_CLAIMS_PUBLISHER."""
    named = file_secret(secrets, "claims", "publisher") or os.environ.get(PUBLISHER_ENV, "")
    if not named.strip():
        raise PulseError(
            f"--claimreview needs the organisation that publishes the reviews: set [claims] publisher in {secrets} "
            f"or {PUBLISHER_ENV}. Nothing was written"
        )
    return named.strip()


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def claim_reviews(verdicts: pl.DataFrame, organisation: str, published: date) -> list[dict]:
    """One ClaimReview per claim with a verdict other than unverifiable, in ledger order."""
    reviews = []
    for claim in verdicts.filter(pl.col("verdict").is_in(list(RATINGS))).iter_rows(named=True):
        item = {
            "@type": "Claim",
            "author": {"@type": "Organization", "name": claim["claimant"]},
            "datePublished": _iso(claim["claimed_at"]),
        }
        if claim["source_url"]:
            item["appearance"] = {"@type": "CreativeWork", "url": claim["source_url"]}
        reviews.append(
            {
                "@context": "https://schema.org",
                "@type": "ClaimReview",
                "claimReviewed": claim["claim_text"],
                "itemReviewed": item,
                "author": {"@type": "Organization", "name": organisation},
                "reviewRating": {
                    "@type": "Rating",
                    "ratingValue": RATINGS[claim["verdict"]],
                    "bestRating": BEST_RATING,
                    "worstRating": WORST_RATING,
                    "alternateName": VERDICT_LABELS[claim["verdict"]],
                },
                "reviewBody": claim["reason"],
                "datePublished": published.isoformat(),
            }
        )
    return reviews


def write_claimreview(verdicts: pl.DataFrame, out: Path, organisation: str, published: date) -> Path:
    """claims.jsonld in `out`: a top-level JSON array of ClaimReviews, written whole or not at all."""
    content = json.dumps(claim_reviews(verdicts, organisation, published), ensure_ascii=False, indent=2)
    path = out / CLAIMREVIEW_FILE
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (content + "\n").encode("utf-8"))
    except OSError as error:
        raise PulseError(f"could not write {path}: {error.strerror or error}") from None
    return path
