"""Claims: each public number a party or the press stated (the `claims` dataset), set beside what the data measured
as of the claim, with a verdict and a sentence an editor can paste. See docs/metrics.md ("Claims").

A ledger holds tens or hundreds of claims, each with its own subject, window and moment, so each is measured on its
own with the subject's metric over every subject of its type (polars), then judged in exact decimal arithmetic:
a number read from a file is taken as the decimal it was written as (a float's shortest repr), never compared as a
binary float, so "about 500,000" against 450,000 is exactly 10 % and accurate.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import polars as pl

from pulse.data.contract import CLAIMS, normalise_hashtag
from pulse.data.dataset import Dataset
from pulse.metrics.hashtags import campaign_of
from pulse.metrics.rallies import current_rallies
from pulse.metrics.recent import HOUR, day_end
from pulse.metrics.spaces import space_metrics, space_reach_by_party

ACCURATE, OVERSTATED, UNDERSTATED, UNVERIFIABLE = "accurate", "overstated", "understated", "unverifiable"
VERDICTS = (ACCURATE, OVERSTATED, UNDERSTATED, UNVERIFIABLE)
VERDICT_LABELS = {
    ACCURATE: "Accurate",
    OVERSTATED: "Overstated",
    UNDERSTATED: "Understated",
    UNVERIFIABLE: "Unverifiable",
}
# What each measure is, in a sentence ("446,000 total listeners measured").
METRIC_WORDS = {
    "total_listeners": "total listeners",
    "peak_listeners": "peak listeners",
    "avg_listeners": "average listeners",
    "record_multiple": "times the previous record",
    "tweets": "tweets",
    "unique_authors": "unique authors",
    "peak_hour_tweets": "tweets in the peak hour",
    "spaces": "Spaces",
    "spaces_reach": "listeners over the party's Spaces",
    "reported_attendance": "reported attendance",
}
# The dataset each metric counts: a window with no row of it at all cannot be measured.
SOURCES = {
    "total_listeners": "spaces",
    "peak_listeners": "spaces",
    "avg_listeners": "spaces",
    "record_multiple": "spaces",
    "tweets": "hashtags",
    "peak_hour_tweets": "hashtags",
    "unique_authors": "raw tweets",
    "spaces": "spaces",
    "spaces_reach": "spaces",
    "reported_attendance": "rallies",
}
# A Space or a rally is one thing: outside the window it is not there. A hashtag, campaign or party is a series:
# nothing in the window counts 0.
SINGLE_ITEMS = ("space", "rally")
# rally attendance is itself a report (data/README.md): the page says so wherever it shows it.
REPORTED_NOT_MEASURED = "reported_attendance"

RESULT_COLUMNS = (
    "verdict",
    "measured_value",
    "measured_as_of",
    "claimed_to_measured",
    "measured_all_data",
    "verdict_all_data",
    "reason",
    "party",
)
RESULT_SCHEMA = {
    **CLAIMS.schema,
    "verdict": pl.String,
    "measured_value": pl.Float64,
    "measured_as_of": pl.Datetime("us", "UTC"),
    "claimed_to_measured": pl.Float64,
    "measured_all_data": pl.Float64,
    "verdict_all_data": pl.String,
    "reason": pl.String,
    "party": pl.String,
}


@dataclass(frozen=True)
class Tolerances:
    """How far off `equals` and `about` may be, as fractions of the claimed value (settings: pulse.config)."""

    equals: Decimal = Decimal("0.01")
    about: Decimal = Decimal("0.10")


@dataclass(frozen=True)
class Window:
    """What one claim counts: UTC instants [start, end); None is unbounded."""

    start: datetime | None
    end: datetime | None

    def holds(self, at: pl.Expr, until: pl.Expr | None = None) -> pl.Expr:
        """Whether a row at `at` lies in the window; one lasting to `until` (an hour) must end by its end."""
        keep = pl.lit(True)
        if self.start is not None:
            keep &= at >= self.start
        if self.end is not None:
            keep &= (until <= self.end) if until is not None else (at < self.end)
        return keep


@dataclass(frozen=True)
class Measure:
    """One subject's value in a window (None: unknown), whether it is first of its type, or why it is unverifiable."""

    value: Decimal | None = None
    first: bool = False
    leader: tuple[str, Decimal] | None = None  # who is first, when it is not the subject
    unverifiable: str | None = None


def as_decimal(value: float | int | Decimal | None) -> Decimal | None:
    """A number as the decimal it was written as: a float by its shortest repr (446000.0 -> 446000, 0.1 -> 0.1)."""
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(value) if isinstance(value, int) else Decimal(repr(float(value)))


def measured_as_of(claim: dict, tz: str) -> datetime:
    """The end of what a claim counts: the end of `window_end`'s local day when given, else `claimed_at`."""
    if claim["window_end"] is not None:
        return day_end(claim["window_end"], tz)
    return claim["claimed_at"].astimezone(UTC)


def window_start(claim: dict, tz: str) -> datetime | None:
    """The start of `window_start`'s local day, or None (the start of the data)."""
    start = claim["window_start"]
    return None if start is None else day_end(start - timedelta(days=1), tz)


# ---- Every subject of a type, measured in a window ----------------------------------------------------------------


def _hourly(counts: pl.DataFrame, window: Window) -> pl.DataFrame:
    """The hours that lie whole in the window (an hour belongs to its period_start's day; the one a claim is made
    in has not ended, and is not counted)."""
    return counts.filter(window.holds(pl.col("period_start"), pl.col("period_start") + HOUR))


def _series_values(rows: pl.DataFrame, key: pl.Expr, metric: str) -> pl.DataFrame:
    """(key, value) per hashtag or campaign of hourly counts (or raw authors, for unique_authors)."""
    keyed = rows.with_columns(key.alias("key"))
    if metric == "tweets":
        return keyed.group_by("key").agg(pl.col("tweets").sum().alias("value"))
    if metric == "peak_hour_tweets":
        hourly = keyed.group_by("key", "period_start").agg(pl.col("tweets").sum())
        return hourly.group_by("key").agg(pl.col("tweets").max().alias("value"))
    return keyed.drop_nulls("author_id").group_by("key").agg(pl.col("author_id").n_unique().alias("value"))


@dataclass(frozen=True)
class Subjects:
    """How one subject type is measured: its key for a subject as written, its keys in the data, and every
    subject's value of a metric in a window, with the rows the window holds of the dataset counted."""

    key_of: Callable[[str], str]
    known: Callable[[str], pl.Series]  # every key the data has (for metric), all times
    values: Callable[[str, Window], tuple[pl.DataFrame, int]]  # (key, value) and the rows in the window
    party_of: Callable[[str], str | None]


def _subjects(kind: str, data: Dataset, authors: pl.DataFrame | None) -> Subjects:
    counts, groups = data.hashtags.counts, data.hashtag_groups
    if kind == "space":
        spaces = space_metrics(data.spaces)

        def space_values(metric: str, window: Window) -> tuple[pl.DataFrame, int]:
            rows = spaces.filter(window.holds(pl.col("started_at")))
            return rows.select(
                pl.col("space_id").alias("key"), pl.col(metric).cast(pl.Float64).alias("value")
            ), rows.height

        return Subjects(str.strip, lambda _: spaces["space_id"], space_values, _party_in(spaces, "space_id"))
    if kind == "rally":

        def rally_values(metric: str, window: Window) -> tuple[pl.DataFrame, int]:
            # The rally as announced by the end of the window: a later move is not yet known.
            announced = data.rallies if window.end is None else data.rallies.filter(pl.col("announced_at") < window.end)
            held = current_rallies(announced).filter(window.holds(pl.col("starts_at")))
            return held.select(
                pl.col("rally_id").alias("key"), pl.col(metric).cast(pl.Float64).alias("value")
            ), held.height

        return Subjects(
            str.strip, lambda _: data.rallies["rally_id"], rally_values, _party_in(data.rallies, "rally_id")
        )
    if kind == "party":

        def party_values(metric: str, window: Window) -> tuple[pl.DataFrame, int]:
            if metric == "tweets":
                rows = _hourly(counts, window)
                return _series_values(rows, pl.col("party").cast(pl.String), metric), rows.height
            rows = data.spaces.filter(window.holds(pl.col("started_at")))
            reach = space_reach_by_party(rows)
            return reach.select(
                pl.col("party").cast(pl.String).alias("key"), pl.col(metric).alias("value")
            ), rows.height

        return Subjects(str.strip, lambda _: pl.Series(data.party_codes, dtype=pl.String), party_values, lambda p: p)
    key = (
        normalise_hashtag(pl.col("hashtag"))
        if kind == "hashtag"
        else normalise_hashtag(campaign_of(pl.col("hashtag"), groups))
    )

    def key_of(subject: str) -> str:
        return _key_of(subject, kind, groups)

    def series_values(metric: str, window: Window) -> tuple[pl.DataFrame, int]:
        if metric == "unique_authors":
            rows = authors.filter(window.holds(pl.col("created_at")))
        else:
            rows = _hourly(counts, window)
        return _series_values(rows, key, metric), rows.height

    def known(metric: str) -> pl.Series:
        rows = authors if metric == "unique_authors" else counts
        return rows.select(key.alias("key")).unique()["key"]

    def party_of(subject: str) -> str | None:
        most = (
            counts.filter(key == key_of(subject))
            .group_by(pl.col("party").cast(pl.String))
            .agg(pl.col("tweets").sum())
            .sort("tweets", "party", descending=[True, False])
        )
        return None if most.is_empty() else most["party"][0]

    return Subjects(key_of, known, series_values, party_of)


def _key_of(subject: str, kind: str, groups: pl.DataFrame) -> str:
    """A hashtag or campaign subject as the data's keys are: trimmed, '#' optional, any case; a campaign named by its
    name or by one of its hashtags."""
    named = pl.Series([subject], dtype=pl.String).to_frame("hashtag")
    expr = pl.col("hashtag") if kind == "hashtag" else campaign_of(pl.col("hashtag"), groups)
    return named.select(normalise_hashtag(expr)).item()


def _party_in(frame: pl.DataFrame, id_column: str) -> Callable[[str], str | None]:
    def party(item: str) -> str | None:
        found = frame.filter(pl.col(id_column) == item)["party"]
        return None if found.is_empty() else str(found[-1])

    return party


# ---- One claim ----------------------------------------------------------------------------------------------------


def measure(claim: dict, subjects: Subjects, window: Window, has_authors: bool) -> Measure:
    """The claim's subject measured in `window`, or why it cannot be (see docs/metrics.md for each reason)."""
    kind, metric, subject = claim["subject_type"], claim["metric"], claim["subject"]
    if metric == "unique_authors" and not has_authors:
        return Measure(unverifiable="unique authors need raw tweets with author ids, and this data has none")
    key = subjects.key_of(subject)
    if key not in set(subjects.known(metric).to_list()):
        return Measure(unverifiable=f"{kind} '{subject}' is not in the data")
    values, rows = subjects.values(metric, window)
    if rows == 0:
        return Measure(unverifiable=f"the {SOURCES[metric]} data has no rows at all in the window counted")
    own = values.filter(pl.col("key") == key)
    if own.is_empty():
        if kind in SINGLE_ITEMS:
            what = "started" if kind == "space" else "was held"
            return Measure(unverifiable=f"{kind} '{subject}' {what} outside the window counted")
        own_value = Decimal(0)
    else:
        own_value = as_decimal(own["value"][0])
        if own_value is None:
            return Measure(
                unverifiable=f"the {METRIC_WORDS[metric]} of {kind} '{subject}' is unknown (empty in the data)"
            )
    known = values.drop_nulls("value")
    best = known.sort("value", "key", descending=[True, False]).head(1)
    top = Decimal(0) if best.is_empty() else as_decimal(best["value"][0])
    first = own_value >= top
    leader = None if first else (best["key"][0], top)
    return Measure(own_value, first, leader)


def judge(comparison: str, claimed: Decimal | None, measured: Measure, tolerances: Tolerances) -> str:
    """The verdict of a claim on a measure (unverifiable measures aside): exact, thresholds inclusive."""
    value = measured.value
    if comparison == "largest":
        return ACCURATE if measured.first else OVERSTATED
    if comparison in ("equals", "about"):
        allowed = claimed * (tolerances.equals if comparison == "equals" else tolerances.about)
        if abs(value - claimed) <= allowed:
            return ACCURATE
        return OVERSTATED if claimed > value else UNDERSTATED
    holds = {
        "at_least": value >= claimed,
        "more_than": value > claimed,
        "at_most": value <= claimed,
        "less_than": value < claimed,
    }[comparison]
    if holds:
        return ACCURATE
    return OVERSTATED if comparison in ("at_least", "more_than") else UNDERSTATED


def shown(value: Decimal) -> str:
    """A number for a sentence: thousands separators, at most two decimals, no trailing zeros."""
    rounded = value.quantize(Decimal("0.01")) if value != value.to_integral_value() else value.to_integral_value()
    text = f"{rounded:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def claim_phrase(comparison: str, claimed: Decimal | None) -> str:
    """What the claim says, in the ledger's words: 'about 500,000', 'more than 44,000', 'the largest'."""
    if comparison == "largest":
        return "the largest"
    words = {"equals": "", "about": "about ", "at_least": "at least ", "more_than": "more than "}
    words |= {"at_most": "at most ", "less_than": "less than "}
    return f"{words[comparison]}{shown(claimed)}"


def reason(claim: dict, claimed: Decimal | None, measured: Measure, verdict: str, tolerances: Tolerances) -> str:
    """One sentence an editor can paste: what was measured, and why the claim holds or not."""
    if verdict == UNVERIFIABLE:
        return f"Unverifiable: {measured.unverifiable}."
    comparison, value = claim["comparison"], measured.value
    said = f"{shown(value)} {METRIC_WORDS[claim['metric']]} measured"
    if claim["metric"] == REPORTED_NOT_MEASURED:
        said = f"{shown(value)} reported attendance on record (a report, not a measurement)"
    phrase = claim_phrase(comparison, claimed)
    if comparison == "largest":
        if measured.first:
            return f"{said}, the most of any {claim['subject_type']} in the window (ties share first)."
        name, top = measured.leader
        return f"{said}; '{name}' has more ({shown(top)}), so it was not the largest."
    gap = _gap(claimed, value)
    if comparison in ("equals", "about"):
        allowed = tolerances.equals if comparison == "equals" else tolerances.about
        within = "within" if verdict == ACCURATE else "beyond"
        allows = f"the {shown(allowed * 100)} % of the claim that '{comparison}' allows"
        return f"{said}; '{phrase}' is {gap}, {within} {allows}."
    return f"{said}; '{phrase}' " + ("holds." if verdict == ACCURATE else f"does not hold: the claim is {gap}.")


def _gap(claimed: Decimal, value: Decimal) -> str:
    """How far the claim is from the measure, in per cent of the measure: '12.1 % above'."""
    if claimed == value:
        return "exactly the measure"
    if value == 0:
        return "above a measure of 0"
    pct = abs(claimed - value) / value * 100
    return f"{shown(pct.quantize(Decimal('0.1')))} % {'above' if claimed > value else 'below'}"


def claim_verdicts(
    data: Dataset, authors: pl.DataFrame | None = None, tolerances: Tolerances = Tolerances()
) -> pl.DataFrame:
    """Every claim of `data.claims` with its verdict, measured_value (for `largest`, the subject's own value),
    measured_as_of, claimed_to_measured, measured_all_data (and verdict_all_data: the verdict on it) and reason, and
    the subject's party; in claim order.

    `authors`: raw tweets with `created_at`, `hashtag` and `author_id` (pulse.data.dataset.RawTweets.rows), for
    unique_authors; None when there are none.
    """
    rows = []
    by_kind: dict[str, Subjects] = {}
    has_authors = authors is not None and authors["author_id"].null_count() < authors.height
    for claim in data.claims.iter_rows(named=True):
        kind = claim["subject_type"]
        subjects = by_kind.setdefault(kind, _subjects(kind, data, authors if has_authors else None))
        end, start = measured_as_of(claim, data.tz), window_start(claim, data.tz)
        claimed = as_decimal(claim["claimed_value"])
        now = measure(claim, subjects, Window(start, end), has_authors)
        ever = measure(claim, subjects, Window(start, None), has_authors)
        verdict = UNVERIFIABLE if now.unverifiable else judge(claim["comparison"], claimed, now, tolerances)
        verdict_ever = UNVERIFIABLE if ever.unverifiable else judge(claim["comparison"], claimed, ever, tolerances)
        ratio = None if now.value in (None, 0) or claimed is None else float(claimed / now.value)
        rows.append(
            claim
            | {
                "verdict": verdict,
                "measured_value": None if now.value is None else float(now.value),
                "measured_as_of": end,
                "claimed_to_measured": ratio,
                "measured_all_data": None if ever.value is None else float(ever.value),
                "verdict_all_data": verdict_ever,
                "reason": reason(claim, claimed, now, verdict, tolerances),
                "party": subjects.party_of(claim["subject"].strip()),
            }
        )
    return pl.DataFrame(rows, schema=RESULT_SCHEMA) if rows else pl.DataFrame(schema=RESULT_SCHEMA)


def claims_about(verdicts: pl.DataFrame, kind: str, subject: str) -> pl.DataFrame:
    """The claims about one subject (a Space's id, say), latest first (on a tie, the last claim_id first)."""
    about = verdicts.filter((pl.col("subject_type") == kind) & (pl.col("subject").str.strip_chars() == subject))
    return about.sort("claimed_at", "claim_id", descending=True)


def verdict_counts(verdicts: pl.DataFrame) -> dict[str, int]:
    """How many claims have each verdict, every verdict named (0 when none)."""
    counted = dict(verdicts.group_by("verdict").len().iter_rows())
    return {v: counted.get(v, 0) for v in VERDICTS}
