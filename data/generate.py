"""Write the bundled default data (parties, spaces, rallies, hashtags, hashtag_groups, claims, live streams)
deterministically.

Run `python data/generate.py`: the CSVs next to this script are rewritten, identical on every run.
A few rows are reported facts (constants below, with their sources); everything else is illustrative,
drawn from a seeded numpy Generator so the dashboard has a realistic season to show.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

SEED = 20220420
OUT_DIR = Path(__file__).resolve().parent
TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
WINDOW_START = datetime(2022, 3, 1, tzinfo=UTC)
WINDOW_END = datetime(2022, 5, 31, 23, tzinfo=UTC)  # the last hour that is counted
PKT = timedelta(hours=5)  # Pakistan Standard Time, UTC+5, no daylight saving in 2022


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Reported facts.
# Source: ../shared/seeds: "Imran Khan holds world's largest Twitter space" (press report of
# 21 April 2022): on Wednesday 20 April at 10 pm local time Imran Khan's Space, curated and hosted
# by Jibran Ilyas and Dr Arslan Khan ahead of the Lahore rally, had 446,000 listeners in total and
# about 165,000 on average at a time; the previous record, about 44,000, was held by a K-pop Space;
# since the no-confidence vote "Imported Hakumat Na-Manzoor" was tweeted over 7 million times.
# Its "Read Next" line: "Imran Khan announces Islamabad his next stop".
# ---------------------------------------------------------------------------------------------
SEED_ARTICLE_URL = "https://thepakistan.pk/imran-khan-holds-worlds-largest-twitter-space/"
RECORD_SPACE_START = utc(2022, 4, 20, 17)  # Wednesday 20 April 2022, 22:00 PKT
RECORD_SPACE_END = utc(2022, 4, 20, 19, 5)  # about two hours: illustrative
RECORD_SPACE_TOTAL = 446_000
RECORD_SPACE_AVG = 165_000
# Illustrative: the peak is not reported. Other reports put the concurrent audience at ~160-165K,
# so it sits just above the average.
RECORD_SPACE_PEAK = 182_000
PREVIOUS_RECORD_TOTAL = 44_000  # the K-pop Space; its date is not reported
PREVIOUS_RECORD_START = utc(2022, 3, 5, 12)  # illustrative: 21:00 in Seoul
CAMPAIGN_REPORTED_MIN_TWEETS = 7_000_000  # "tweeted over 7 million times"
CAMPAIGN_TARGET_TWEETS = 7_350_000  # what the generator aims at, within 7.1M-7.6M
NO_CONFIDENCE_VOTE = utc(2022, 4, 9, 19)  # the vote around midnight 9-10 April PKT
CAMPAIGN = "ImportedHakumatNaManzoor"
CAMPAIGN_SPELLINGS = {  # the three spellings and their illustrative share of the campaign
    "ImportedHakumatNaManzoor": 0.70,
    "امپورٹڈ_حکومت_نامنظور": 0.22,
    "ImportedHakoomatNaManzoor": 0.08,
}

# The seed article's own numbers, quoted exactly, as the claims ledger (claims.csv) checks them against the data.
# The report is dated 21 April 2022; the time of day it went out is not reported (noon PKT here, illustrative).
# Subjects, metrics and comparisons are how the ledger reads each quote: "over" is more_than, "about" is about.
REPORT_PUBLISHED = utc(2022, 4, 21, 7)
REPORT_CLAIMANT = "thepakistan.pk (press report)"
CLAIMS = [  # claim_id, quote, subject_type, subject, metric, comparison, claimed_value, window_start
    ("c-001", "a total of 446,000 people tuned from around the world to converse with Imran",
     "space", "sp-0020", "total_listeners", "equals", 446_000, None),
    ("c-002", "It was reported that about half a million users interacted with Khan",
     "space", "sp-0020", "total_listeners", "about", 500_000, None),
    ("c-003", "with an average of 165,000 users tuned in at a given time",
     "space", "sp-0020", "avg_listeners", "equals", 165_000, None),
    ("c-004", "The record was previously held by K-POP with over 44,000 listeners in his space.",
     "space", "sp-0001", "total_listeners", "more_than", 44_000, None),
    ("c-005", "Imran Khan holds world’s largest Twitter space",
     "space", "sp-0020", "total_listeners", "largest", None, None),
    # Counted from the vote ("since the ouster"): 10 April, 00:00 PKT, as of the report.
    ("c-006", "his party has used the hashtag “Imported Hakumat Na-Manzoor”, the largest trend in the "
     "country’s social media history — tweeted over 7 million times",
     "campaign", "ImportedHakumatNaManzoor", "tweets", "more_than", 7_000_000, "2022-04-10"),
]  # fmt: skip

# Rally dates, press reports of April and May 2022 (sources in the rows below):
# Peshawar 13 April (9 pm, Ring Road); Karachi first set for 17 April, moved on 12 April to 16 April;
# Lahore (Minar-e-Pakistan) set for 23 April, moved on 12 April to the 24th, on 13 April to the
# 21st at 8 pm; Islamabad announced as the next stop; on 22 May the march on Islamabad was set for
# 25 May, 3 pm. Announcement times of day and all attendance figures are illustrative.
SRC_PESHAWAR = "https://www.pakistantoday.com.pk/2022/04/12/imran-to-address-rally-in-peshawar/"
SRC_KARACHI = "https://nation.com.pk/2022/04/13/pti-reschedules-public-rally-in-karachi/"
SRC_LAHORE = "https://www.thenews.com.pk/latest/949923-pti-lahore-jalsa-date-changed-for-second-time"
SRC_ISLAMABAD = "https://en.neonetwork.pk/23-May-2022/imran-khan-announces-long-march-to-islamabad-on-may-25"

PARTIES = [
    ("PTI", "Pakistan Tehreek-e-Insaf", "#D62828"),  # strong red
    ("PML-N", "Pakistan Muslim League (N)", "#1B8A3A"),  # green
    ("PPP", "Pakistan Peoples Party", "#2D2A32"),  # near-black
    ("JUI-F", "Jamiat Ulema-e-Islam (F)", "#1F6F8B"),  # dark teal-blue
    ("MQM-P", "Muttahida Qaumi Movement – Pakistan", "#F28C28"),  # orange
    ("OTHER", "Non-political (reference)", "#8E9399"),  # grey
]

# City centres, except the two monuments whose grounds host the rallies.
CITY = {
    "Islamabad": (33.6844, 73.0479),
    "Rawalpindi": (33.5651, 73.0169),
    "Peshawar": (34.0151, 71.5249),
    "Karachi": (24.8607, 67.0011),
    "Karachi/Mazar-e-Quaid": (24.8754, 67.0409),
    "Lahore": (31.5204, 74.3587),
    "Lahore/Minar-e-Pakistan": (31.5925, 74.3095),
    "Multan": (30.1575, 71.5249),
    "Mandi Bahauddin": (32.5861, 73.4917),
    "Faisalabad": (31.4504, 73.1350),
    "Larkana": (27.5570, 68.2264),
    "Dera Ismail Khan": (31.8314, 70.9019),
    "Hyderabad": (25.3960, 68.3578),
}

# (rally_id, party, city, place key in CITY, announced_at, starts_at, venue, attendance, source_url)
# One row per announcement: a rescheduled rally keeps its id and gets a row per new date.
# Attendance is illustrative and only on the announcement that held; superseded rows leave it empty.
# fmt: off
RALLIES = [
    ("rl-001", "PTI", "Islamabad", "Islamabad", utc(2022, 3, 12, 13), utc(2022, 3, 27, 13), "Parade Ground", 90_000, None),
    ("rl-002", "PML-N", "Mandi Bahauddin", "Mandi Bahauddin", utc(2022, 3, 4, 10), utc(2022, 3, 13, 14), "Sports Ground", 12_000, None),
    ("rl-003", "JUI-F", "Peshawar", "Peshawar", utc(2022, 3, 8, 9), utc(2022, 3, 20, 11), "Ring Road", None, None),
    ("rl-004", "PML-N", "Lahore", "Lahore", utc(2022, 3, 16, 12), utc(2022, 3, 26, 12), "Mall Road", 25_000, None),
    ("rl-005", "MQM-P", "Karachi", "Karachi", utc(2022, 3, 24, 11), utc(2022, 4, 3, 15), "Jinnah Ground, Azizabad", 18_000, None),
    ("rl-006", "PPP", "Larkana", "Larkana", utc(2022, 3, 25, 9), utc(2022, 4, 4, 11), "Garhi Khuda Bakhsh", 40_000, None),
    ("rl-007", "PTI", "Peshawar", "Peshawar", utc(2022, 4, 11, 17), utc(2022, 4, 13, 16), "Ring Road, near the motorway", 70_000, SRC_PESHAWAR),
    ("rl-008", "PTI", "Karachi", "Karachi/Mazar-e-Quaid", utc(2022, 4, 11, 12), utc(2022, 4, 17, 16), "Bagh-e-Jinnah (Mazar-e-Quaid)", None, SRC_KARACHI),
    ("rl-008", "PTI", "Karachi", "Karachi/Mazar-e-Quaid", utc(2022, 4, 12, 10), utc(2022, 4, 16, 16), "Bagh-e-Jinnah (Mazar-e-Quaid)", 85_000, SRC_KARACHI),
    ("rl-009", "PTI", "Lahore", "Lahore/Minar-e-Pakistan", utc(2022, 4, 11, 14), utc(2022, 4, 23, 15), "Minar-e-Pakistan (Greater Iqbal Park)", None, SRC_LAHORE),
    ("rl-009", "PTI", "Lahore", "Lahore/Minar-e-Pakistan", utc(2022, 4, 12, 15), utc(2022, 4, 24, 15), "Minar-e-Pakistan (Greater Iqbal Park)", None, SRC_LAHORE),
    ("rl-009", "PTI", "Lahore", "Lahore/Minar-e-Pakistan", utc(2022, 4, 13, 7), utc(2022, 4, 21, 15), "Minar-e-Pakistan (Greater Iqbal Park)", 110_000, SRC_LAHORE),
    ("rl-010", "PTI", "Islamabad", "Islamabad", utc(2022, 4, 21, 18, 30), utc(2022, 5, 25, 10), "Srinagar Highway", None, SEED_ARTICLE_URL),
    ("rl-010", "PTI", "Islamabad", "Islamabad", utc(2022, 5, 22, 11), utc(2022, 5, 25, 10), "Srinagar Highway", 60_000, SRC_ISLAMABAD),
    ("rl-011", "PPP", "Karachi", "Karachi", utc(2022, 4, 25, 10), utc(2022, 5, 8, 15), "Lyari", 15_000, None),
    ("rl-012", "PML-N", "Faisalabad", "Faisalabad", utc(2022, 5, 5, 9), utc(2022, 5, 14, 15), "Dhobi Ghat Ground", None, None),
    ("rl-012", "PML-N", "Faisalabad", "Faisalabad", utc(2022, 5, 10, 12), utc(2022, 5, 15, 15), "Dhobi Ghat Ground", 20_000, None),
    ("rl-013", "JUI-F", "Dera Ismail Khan", "Dera Ismail Khan", utc(2022, 5, 4, 8), utc(2022, 5, 15, 11), "Sports Complex", 22_000, None),
    ("rl-014", "PTI", "Multan", "Multan", utc(2022, 5, 12, 12), utc(2022, 5, 20, 16), "Qasim Bagh Stadium", 50_000, None),
    ("rl-015", "MQM-P", "Hyderabad", "Hyderabad", utc(2022, 5, 11, 10), utc(2022, 5, 21, 15), "Pakka Qila", None, None),
    ("rl-016", "PPP", "Rawalpindi", "Rawalpindi", utc(2022, 5, 17, 9), utc(2022, 5, 28, 13), "Liaquat Bagh", 9_000, None),
]
# fmt: on

# Hashtags as users write them (no '#'), the party that pushes each, and the campaign it belongs to.
HASHTAGS = [
    ("ImportedHakumatNaManzoor", "PTI", CAMPAIGN),
    ("ImportedHakoomatNaManzoor", "PTI", CAMPAIGN),
    ("امپورٹڈ_حکومت_نامنظور", "PTI", CAMPAIGN),
    ("PTIPowerShow", "PTI", "PTIPowerShow"),
    ("ImranKhanLIVE", "PTI", "ImranKhanLIVE"),
    ("PMShehbazSharif", "PML-N", "PMShehbazSharif"),
    ("وزیراعظم_شہباز_شریف", "PML-N", "PMShehbazSharif"),
    ("PMLNJalsa", "PML-N", "PMLNJalsa"),
    ("BilawalBhutto", "PPP", "BilawalBhutto"),
    ("PPPZindabad", "PPP", "PPPZindabad"),
    ("جئے_بھٹو", "PPP", "PPPZindabad"),
    ("JUIFMarch", "JUI-F", "JUIFMarch"),
    ("FazlurRehman", "JUI-F", "FazlurRehman"),
    ("MQMPKarachi", "MQM-P", "MQMPKarachi"),
    ("HaqParast", "MQM-P", "HaqParast"),
]

# Illustrative political moments that move the non-PTI tags: (party, when, relative size).
OTHER_EVENTS = [
    ("MQM-P", utc(2022, 3, 30, 17), 6.0),  # MQM-P sides with the opposition
    ("PML-N", NO_CONFIDENCE_VOTE, 20.0),
    ("PPP", NO_CONFIDENCE_VOTE, 10.0),
    ("JUI-F", NO_CONFIDENCE_VOTE, 6.0),
    ("PML-N", utc(2022, 4, 11, 12), 40.0),  # Shehbaz Sharif elected prime minister
    ("PPP", utc(2022, 4, 27, 8), 12.0),  # Bilawal Bhutto sworn in as foreign minister
]

# Pakistan's daily rhythm by local hour (PKT 0-23): quiet before dawn, busiest late evening.
DIURNAL_PKT = np.array(
    [0.90, 0.65, 0.40, 0.22, 0.13, 0.10, 0.12, 0.20, 0.35, 0.50, 0.60, 0.65,
     0.70, 0.70, 0.70, 0.72, 0.75, 0.80, 0.78, 0.85, 0.95, 1.00, 1.00, 0.95]
)  # fmt: skip


def fmt(ts: datetime | None) -> str | None:
    return None if ts is None else ts.strftime(TS_FORMAT)


# --- parties and groups ------------------------------------------------------------------------


def parties_frame() -> pl.DataFrame:
    return pl.DataFrame(PARTIES, schema=["party", "name", "color"], orient="row")


def hashtag_groups_frame() -> pl.DataFrame:
    return pl.DataFrame([(h, c) for h, _, c in HASHTAGS], schema=["hashtag", "campaign"], orient="row")


def claims_frame() -> pl.DataFrame:
    rows = [
        (
            cid,
            fmt(REPORT_PUBLISHED),
            REPORT_CLAIMANT,
            quote,
            SEED_ARTICLE_URL,
            kind,
            subject,
            metric,
            how,
            value,
            start,
            None,
        )
        for cid, quote, kind, subject, metric, how, value, start in CLAIMS
    ]
    columns = ["claim_id", "claimed_at", "claimant", "claim_text", "source_url", "subject_type", "subject", "metric"]
    columns += ["comparison", "claimed_value", "window_start", "window_end"]
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String) | {"claimed_value": pl.Int64}, orient="row")


# --- rallies -----------------------------------------------------------------------------------


def rallies_frame() -> pl.DataFrame:
    rows = []
    for rally_id, party, city, place, announced, starts, venue, attendance, source in RALLIES:
        lat, lon = CITY[place]
        rows.append((rally_id, party, city, fmt(announced), fmt(starts), venue, lat, lon, attendance, source))
    schema = {
        "rally_id": pl.String,
        "party": pl.String,
        "city": pl.String,
        "announced_at": pl.String,
        "starts_at": pl.String,
        "venue": pl.String,
        "lat": pl.Float64,
        "lon": pl.Float64,
        "reported_attendance": pl.Int64,
        "source_url": pl.String,
    }
    return pl.DataFrame(rows, schema=schema, orient="row").sort("rally_id", "announced_at")


def held_rallies() -> list[tuple[str, datetime, int | None]]:
    """The date each rally was finally held on: its latest announcement's starts_at."""
    latest: dict[str, tuple] = {}
    for row in RALLIES:
        if row[0] not in latest or row[4] > latest[row[0]][4]:
            latest[row[0]] = row
    return [(r[1], r[5], r[7]) for r in latest.values()]


# --- spaces ------------------------------------------------------------------------------------

ANY = (utc(2022, 3, 1), utc(2022, 6, 1))
BEFORE_VOTE = (utc(2022, 3, 1), NO_CONFIDENCE_VOTE)
AFTER_VOTE = (NO_CONFIDENCE_VOTE, utc(2022, 6, 1))

# party: (number of illustrative Spaces, median total listeners, hosts, titles with when they fit)
SPACE_PLAN = {
    "PTI": (
        21,
        9_000,
        ["PTI Official", "PTI Social Media Team", "Insafian Students Federation", "PTI Overseas", "PTI Punjab"],
        [
            ("Jalsa preparations: volunteers' call", ANY),
            ("Overseas Pakistanis and the right to vote", ANY),
            ("Trend team briefing", ANY),
            ("No-confidence motion: the facts", BEFORE_VOTE),
            ("Amr bil Maroof: on to Parade Ground", (utc(2022, 3, 12), utc(2022, 3, 27, 12))),
            ("Haqeeqi Azadi: Q&A with supporters", AFTER_VOTE),
            ("Imported government na manzoor: what next?", AFTER_VOTE),
            ("Youth and the movement", AFTER_VOTE),
            ("Economy under the new government", (utc(2022, 4, 12), utc(2022, 6, 1))),
            ("Road to Islamabad", (utc(2022, 4, 22), utc(2022, 6, 1))),
        ],
    ),
    "PML-N": (
        9,
        3_500,
        ["PML(N) Official", "PML-N Youth Wing", "PML-N Punjab"],
        [
            ("Workers' convention live", ANY),
            ("Vote of no confidence: our case", BEFORE_VOTE),
            ("Relief package explained", (utc(2022, 4, 12), utc(2022, 6, 1))),
            ("Meet the cabinet", (utc(2022, 4, 20), utc(2022, 6, 1))),
        ],
    ),
    "PPP": (
        8,
        2_800,
        ["PPP Official", "PPP Sindh", "Peoples Youth Organisation"],
        [
            ("Sindh's agenda", ANY),
            ("Youth wing open mic", ANY),
            ("Awami March: the road ahead", BEFORE_VOTE),
            ("Jiye Bhutto: remembering 4 April", (utc(2022, 3, 25), utc(2022, 4, 5))),
            ("Foreign policy reset", (utc(2022, 4, 28), utc(2022, 6, 1))),
        ],
    ),
    "JUI-F": (
        5,
        1_200,
        ["JUI-F Media Cell", "JUI-F Khyber Pakhtunkhwa"],
        [
            ("Madaris and reform", ANY),
            ("PDM's way forward", ANY),
            ("Jalsa D.I. Khan: arrangements", (utc(2022, 5, 4), utc(2022, 5, 15))),
        ],
    ),
    "MQM-P": (
        6,
        1_500,
        ["MQM-P Official", "MQM-P Rabita Committee"],
        [
            ("Karachi's mandate", ANY),
            ("Local government for Karachi", ANY),
            ("Haq Parast dialogue", ANY),
            ("Why we left the coalition", (utc(2022, 3, 30, 18), utc(2022, 5, 1))),
            ("Hyderabad jalsa: the plan", (utc(2022, 5, 11), utc(2022, 5, 21))),
        ],
    ),
}


def _title(rng: np.random.Generator, titles: list[tuple[str, tuple[datetime, datetime]]], start: datetime) -> str:
    """A title that fits the moment: nobody discusses the cabinet before there is one."""
    fitting = [title for title, (first, last) in titles if first <= start < last]
    return str(rng.choice(fitting))


def _round_count(value: float) -> int:
    return int(round(value, -1 if value < 10_000 else -2))


def _space_rows(rng: np.random.Generator) -> list[dict]:
    days = np.arange((WINDOW_END - WINDOW_START).days + 1)
    ouster_day = (NO_CONFIDENCE_VOTE - WINDOW_START).days
    record_day = (RECORD_SPACE_START - WINDOW_START).days
    rows = []
    for party, (count, median, hosts, titles) in SPACE_PLAN.items():
        weights = np.where(days >= ouster_day, 3.0, 1.0) if party == "PTI" else np.ones(days.size)
        if party == "PTI":
            weights[record_day] = 0.0  # that evening belongs to the record Space
        chosen = np.sort(rng.choice(days, size=count, replace=False, p=weights / weights.sum()))
        for day in chosen:
            local_hour = int(rng.choice([20, 21, 22, 23], p=[0.2, 0.3, 0.3, 0.2]))
            minute = int(rng.choice([0, 15, 30]))
            start = WINDOW_START + timedelta(days=int(day), hours=local_hour, minutes=minute) - PKT
            start = max(start, WINDOW_START)
            duration = timedelta(minutes=int(rng.integers(9, 31)) * 5)
            level = median * (3.0 if party == "PTI" and start >= NO_CONFIDENCE_VOTE else 1.0)
            cap = PREVIOUS_RECORD_TOTAL if start < RECORD_SPACE_START else RECORD_SPACE_TOTAL // 3
            total = level * rng.lognormal(0.0, 0.6)
            while total >= cap * 0.98:  # keep the record progression: nothing rivals the records
                total = level * rng.lognormal(0.0, 0.6)
            total = _round_count(total)
            peak = _round_count(total * rng.uniform(0.30, 0.65))
            avg = _round_count(peak * rng.uniform(0.45, 0.80))
            rows.append(
                {
                    "party": party,
                    "host": str(rng.choice(hosts)),
                    "title": _title(rng, titles, start),
                    "started_at": start,
                    "ended_at": start + duration,
                    "total_listeners": total,
                    "peak_listeners": peak,
                    "avg_listeners": avg,
                    "source_url": None,
                }
            )
    rows.append(
        {
            "party": "PTI",
            "host": "Imran Khan",
            "title": "#ImranKhanLIVE on the eve of the Lahore jalsa (curated and hosted by Jibran Ilyas and Dr Arslan Khan)",
            "started_at": RECORD_SPACE_START,
            "ended_at": RECORD_SPACE_END,
            "total_listeners": RECORD_SPACE_TOTAL,
            "peak_listeners": RECORD_SPACE_PEAK,
            "avg_listeners": RECORD_SPACE_AVG,
            "source_url": SEED_ARTICLE_URL,
        }
    )
    rows.append(
        {
            "party": "OTHER",
            "host": "K-pop lyrical Space (fan community)",
            "title": "K-pop lyrical Space: the previous listener record (date illustrative)",
            "started_at": PREVIOUS_RECORD_START,
            "ended_at": PREVIOUS_RECORD_START + timedelta(minutes=90),
            "total_listeners": PREVIOUS_RECORD_TOTAL,
            "peak_listeners": None,  # not reported
            "avg_listeners": None,
            "source_url": SEED_ARTICLE_URL,
        }
    )
    return sorted(rows, key=lambda r: (r["started_at"], r["party"]))


def spaces_frame(rng: np.random.Generator) -> tuple[pl.DataFrame, list[dict]]:
    rows = _space_rows(rng)
    for i, row in enumerate(rows, start=1):
        row["space_id"] = f"sp-{i:04d}"
    illustrative = [i for i, r in enumerate(rows) if r["source_url"] is None]
    # A little missing data, as a real export has: the last Space is still live, one lost its end,
    # two small ones lost their total, one lost its peak and average.
    rows[illustrative[-1]]["ended_at"] = None
    rows[illustrative[len(illustrative) // 3]]["ended_at"] = None
    smallest = sorted(illustrative, key=lambda i: rows[i]["total_listeners"])
    for i in smallest[1:3]:
        rows[i]["total_listeners"] = None
    middle = illustrative[len(illustrative) // 2]
    rows[middle]["peak_listeners"] = rows[middle]["avg_listeners"] = None
    frame = pl.DataFrame(
        [
            {
                "space_id": r["space_id"],
                "party": r["party"],
                "host": r["host"],
                "title": r["title"],
                "started_at": fmt(r["started_at"]),
                "ended_at": fmt(r["ended_at"]),
                "total_listeners": r["total_listeners"],
                "peak_listeners": r["peak_listeners"],
                "avg_listeners": r["avg_listeners"],
                "source_url": r["source_url"],
            }
            for r in rows
        ],
        schema={
            "space_id": pl.String,
            "party": pl.String,
            "host": pl.String,
            "title": pl.String,
            "started_at": pl.String,
            "ended_at": pl.String,
            "total_listeners": pl.Int64,
            "peak_listeners": pl.Int64,
            "avg_listeners": pl.Int64,
            "source_url": pl.String,
        },
    )
    return frame, rows


# --- hashtag counts ----------------------------------------------------------------------------


def hours_since_start(ts: datetime) -> float:
    return (ts - WINDOW_START).total_seconds() / 3600


def burst(t: np.ndarray, at: datetime, peak: float, decay_h: float, lead_h: float = 3.0) -> np.ndarray:
    """A spike at `at` that decays over `decay_h` hours, with a little anticipation before it."""
    dt = t - hours_since_start(at)
    after = peak * np.exp(-np.clip(dt, 0, None) / decay_h)
    before = 0.25 * peak * np.exp(np.clip(dt, None, 0) / lead_h)
    return np.where(dt >= 0, after, before)


def _sample(rng: np.random.Generator, rate: np.ndarray) -> np.ndarray:
    """Overdispersed counts: day-level and hour-level gamma noise on the rate, then Poisson."""
    n_days = rate.size // 24
    day_noise = np.repeat(rng.lognormal(0.0, 0.12, n_days), 24)
    hour_noise = rng.gamma(25.0, 1 / 25.0, rate.size)
    return rng.poisson(rate * day_noise * hour_noise)


def hashtag_counts(rng: np.random.Generator, space_rows: list[dict]) -> pl.DataFrame:
    n_hours = int(hours_since_start(WINDOW_END)) + 1
    t = np.arange(n_hours, dtype=float)
    diurnal = DIURNAL_PKT[(np.arange(n_hours) + 5) % 24]
    diurnal = diurnal / diurnal.mean()
    soft = 0.5 + 0.5 * diurnal  # bursts follow the clock less than the baseline does
    t_vote = hours_since_start(NO_CONFIDENCE_VOTE)
    after_vote = t >= t_vote
    rallies = held_rallies()
    pti_spaces = [r for r in space_rows if r["party"] == "PTI"]

    # The ImportedHakumatNaManzoor campaign, all spellings together, in relative units.
    campaign = np.where(after_vote, 1.0 * (0.12 + 0.88 * np.exp(-(t - t_vote) / (24 * 6))), 0.0) * diurnal
    moments = [
        (NO_CONFIDENCE_VOTE, 3.0, 8),
        (utc(2022, 4, 10, 16), 4.0, 10),  # Sunday-night protests across the country
        (utc(2022, 4, 11, 12), 1.5, 8),  # the new prime minister is elected
        (utc(2022, 4, 12, 10), 0.4, 5),  # rally schedule announced
        (utc(2022, 4, 13, 7), 0.2, 4),  # Lahore moved to 21 April
        (RECORD_SPACE_START, 1.8, 4),
        (utc(2022, 4, 21, 18, 30), 0.8, 5),  # Islamabad announced as the next stop
        (utc(2022, 5, 22, 11), 1.2, 6),  # march on Islamabad set for 25 May
    ]
    for party, starts, _ in rallies:
        if party == "PTI" and starts > NO_CONFIDENCE_VOTE:
            is_march = starts.date() == utc(2022, 5, 25).date()  # the march lasts into the next day
            moments.append((starts, 2.5, 18) if is_march else (starts, 2.2, 7))
    for at, size, decay in moments:
        campaign += np.where(after_vote, burst(t, at, size, decay), 0.0) * soft
    for space in pti_spaces:
        if space["started_at"] > NO_CONFIDENCE_VOTE and space["source_url"] is None:
            campaign += burst(t, space["started_at"], 0.05 + space["total_listeners"] / 400_000, 3) * soft
    campaign = np.where(after_vote, campaign, 0.0)
    campaign *= CAMPAIGN_TARGET_TWEETS / campaign.sum()
    # The tag was coined in the hours before the vote: a trickle, not counted in the reported total.
    trickle = np.where((t >= t_vote - 3) & (t < t_vote), 400.0 * (t - t_vote + 4), 0.0)

    rates: dict[str, np.ndarray] = {}
    for spelling, share in CAMPAIGN_SPELLINGS.items():
        rates[spelling] = (campaign + trickle) * share

    power_show = 15.0 * diurnal
    for party, starts, attendance in rallies:
        if party == "PTI":
            power_show += burst(t, starts, 0.15 * (attendance or 50_000), 6, lead_h=8) * soft
    rates["PTIPowerShow"] = power_show

    live = 6.0 * diurnal
    for space in pti_spaces:
        if space["total_listeners"]:
            live += burst(t, space["started_at"], 0.06 * space["total_listeners"], 2, lead_h=1) * soft
    rates["ImranKhanLIVE"] = live

    # Other parties: a baseline, their rallies, their Spaces, their political moments.
    def party_activity(party: str, baseline: float) -> np.ndarray:
        rate = baseline * diurnal
        for p, starts, attendance in rallies:
            if p == party:
                rate += burst(t, starts, 30 * baseline * (attendance or 15_000) / 15_000, 5, lead_h=6) * soft
        for space in space_rows:
            if space["party"] == party:
                listeners = space["total_listeners"] or space["peak_listeners"] or 1_000
                rate += burst(t, space["started_at"], 0.3 * listeners, 2, lead_h=1) * soft
        for p, at, size in OTHER_EVENTS:
            if p == party:
                rate += burst(t, at, size * baseline, 8) * soft
        return rate

    pmln = party_activity("PML-N", 120.0)
    pm_tag = np.where(t >= t_vote, 1.0, 0.0) * (pmln + 60.0 * diurnal)  # he is prime minister from 11 April
    rates["PMShehbazSharif"] = pm_tag * 0.75
    rates["وزیراعظم_شہباز_شریف"] = pm_tag * 0.25
    rates["PMLNJalsa"] = np.where(t < t_vote, pmln, 0.4 * pmln)
    ppp = party_activity("PPP", 80.0)
    rates["BilawalBhutto"] = ppp * 0.5
    rates["PPPZindabad"] = ppp * 0.3
    rates["جئے_بھٹو"] = ppp * 0.2 + burst(t, utc(2022, 4, 4, 6), 2_500, 10)  # 4 April anniversary
    juif = party_activity("JUI-F", 35.0)
    rates["JUIFMarch"] = juif * 0.6
    rates["FazlurRehman"] = juif * 0.4
    mqmp = party_activity("MQM-P", 40.0)
    rates["MQMPKarachi"] = mqmp * 0.65
    rates["HaqParast"] = mqmp * 0.35

    counts = {hashtag: _sample(rng, rates[hashtag]) for hashtag, _, _ in HASHTAGS}
    # Calibrate the sampled campaign so it lands on the target: the day-level noise alone moves
    # a sum dominated by a few big nights by several per cent.
    sampled = sum(counts[spelling][after_vote].sum() for spelling in CAMPAIGN_SPELLINGS)
    for spelling in CAMPAIGN_SPELLINGS:
        calibrated = np.rint(counts[spelling] * CAMPAIGN_TARGET_TWEETS / sampled)
        counts[spelling] = np.where(after_vote, calibrated, counts[spelling]).astype(np.int64)

    period_start = pl.datetime_range(WINDOW_START, WINDOW_END, "1h", time_unit="us", eager=True)
    frames = [
        pl.DataFrame({"hashtag": hashtag, "party": party, "period_start": period_start, "tweets": counts[hashtag]})
        for hashtag, party, _ in HASHTAGS
    ]
    return (
        pl.concat(frames)
        .filter(pl.col("tweets") > 0)
        .with_columns(pl.col("period_start").dt.strftime(TS_FORMAT))
        .select("hashtag", "party", "period_start", "tweets")
    )


# --- an illustrative raw sample with authors and texts -------------------------------------------

SAMPLE_TWEETS = 6_000  # organic tweets, drawn hour by hour in proportion to the hourly counts
SAMPLE_ACCOUNTS = {"PTI": 1_800, "PML-N": 700, "PPP": 500, "JUI-F": 250, "MQM-P": 250}
SAMPLE_TEXTS = {  # illustrative wording; organic tweets add their own words, so they rarely repeat
    "PTI": ("Kaptaan ke saath khare hain", "Qaum ka faisla: na manzoor", "Jalsa mein milte hain", "Haqeeqi azadi"),
    "PML-N": ("Taraqqi ka safar jaari", "Mian sahib zindabad", "Kaam bolta hai", "Pakistan ki khidmat"),
    "PPP": ("Jiye Bhutto", "Bilawal ka paigham", "Awam ki hukumat", "Roti kapra makaan"),
    "JUI-F": ("Maulana ka paigham", "Azadi march jaari", "Nizam ki tabdeeli"),
    "MQM-P": ("Karachi ka haq", "Haq parast qiyadat", "Sheher ki awaz"),
}
SAMPLE_WORDS = ("aaj", "sab", "dekho", "zaroor", "yaar", "bilkul", "abhi", "shabash", "Pakistan", "2022", "🇵🇰", "✌️")
# Planted copy-paste bursts: (when, party, hashtags, accounts, seconds between tweets, text). The last one has
# too few accounts to count as a burst.
SAMPLE_BURSTS = (
    (
        utc(2022, 4, 10, 17, 30),
        "PTI",
        ("ImportedHakumatNaManzoor", "امپورٹڈ_حکومت_نامنظور"),
        48,
        8,
        "Imported hakumat na manzoor! Qaum apne Kaptaan ke saath khari hai. Aaj raat sab sarkon par",
    ),
    (
        utc(2022, 4, 20, 16, 40),
        "PTI",
        ("ImranKhanLIVE",),
        22,
        15,
        "Aaj raat 10 baje Kaptaan ka Space. Sab join karein aur share karein",
    ),
    (
        utc(2022, 4, 11, 12, 20),
        "PML-N",
        ("PMShehbazSharif",),
        15,
        20,
        "Mubarak ho! Shehbaz Sharif Pakistan ke naye Wazir-e-Azam",
    ),
    (utc(2022, 4, 27, 9, 0), "PPP", ("BilawalBhutto",), 4, 30, "Bilawal Bhutto naye wazir-e-kharja, mubarak"),
)


def raw_tweet_sample(counts: pl.DataFrame) -> pl.DataFrame:
    """Raw tweets with authors and texts: organic ones in proportion to `counts`, and the planted bursts."""
    rng = np.random.default_rng(SEED + 15)  # its own stream: the other files keep their bytes
    hours = counts.with_columns(pl.col("period_start").str.to_datetime(TS_FORMAT, time_zone="UTC"))
    weights = hours["tweets"].to_numpy().astype(float)
    picked = hours[rng.choice(hours.height, SAMPLE_TWEETS, p=weights / weights.sum())]
    seconds = rng.integers(0, 3600, SAMPLE_TWEETS)
    accounts = {  # distinct ten-digit user ids per party
        party: [str(1_100_000_000 + 10**8 * i + 97 * v) for v in rng.choice(10**6, n, replace=False)]
        for i, (party, n) in enumerate(SAMPLE_ACCOUNTS.items())
    }
    rows = []
    for (tag, party, start), second in zip(
        picked.select("hashtag", "party", "period_start").rows(), seconds, strict=True
    ):
        pool = accounts[party]
        author = pool[min(int(rng.zipf(1.8)) - 1, len(pool) - 1)]  # a few accounts tweet a lot
        words = " ".join(rng.choice(SAMPLE_WORDS, int(rng.integers(1, 4))))
        text = f"{rng.choice(SAMPLE_TEXTS[party])} {words} #{tag}"
        if rng.random() < 0.15:
            text += f" https://t.co/{rng.integers(10**6, 10**7)}"
        rows.append((start + timedelta(seconds=int(second)), party, tag, author, text))
    for at, party, tags, n, gap, text in SAMPLE_BURSTS:
        for i, author in enumerate(rng.choice(accounts[party][50:], n, replace=False)):
            # Copies differ in case, a mention or a link: normalised, they are one text.
            handle = "@" + party.lower().replace("-", "") + "_official"
            copy = [text, text.upper(), f"{handle} {text}", f"{text} https://t.co/{i:07}"][i % 4]
            copy += "".join(f" #{tag}" for tag in tags)  # a tweet with two hashtags is two rows, one tweet_id
            rows.extend((at + timedelta(seconds=gap * i), party, tag, str(author), copy) for tag in tags)
    frame = pl.DataFrame(rows, schema=["created_at", "party", "hashtag", "author_id", "text"], orient="row").sort(
        "created_at", "author_id", "text", maintain_order=True
    )
    # One tweet id per tweet, shared by its hashtag rows (a tweet is its author, time and text).
    tweet = pl.struct("created_at", "author_id", "text")
    ids = (pl.lit(1_513_000_000_000_000_000) + tweet.rank("dense").cast(pl.Int64)).cast(pl.String)
    return frame.select(
        pl.col("created_at").dt.strftime(TS_FORMAT), "party", "hashtag", ids.alias("tweet_id"), "author_id", "text"
    )


# --- live streams (illustrative) ---------------------------------------------------------------

# The rallies as they were streamed live on YouTube: every row and every count here is illustrative. The channels
# and video ids are made up (no real URL); peak and average viewers are left empty in streams.csv, as the app
# fills them from the samples on load (pulse.data.load.with_tracked_audience), exactly as for a tracked Space.
STREAM_EVERY = timedelta(minutes=5)  # how often a stream's viewers were sampled
STREAM_CHANNELS = {  # channel_id, channel_title
    "PTI": ("UC-illustrative-pti-official", "PTI Official"),
    "IK": ("UC-illustrative-imran-khan", "Imran Khan"),
    "PML-N": ("UC-illustrative-pmln-official", "PML-N Official"),
    "PPP": ("UC-illustrative-ppp-official", "PPP Official"),
    "JUI-F": ("UC-illustrative-juif-official", "JUI-F Official"),
    "MQM-P": ("UC-illustrative-mqmp-official", "MQM-P Official"),
}
# stream_id, channel, party, rally, stored rally_id?, start (hours after the rally's start), minutes, peak viewers
# (None: the owner hid the count throughout, so there is no sample). Only yt-0008 stores its rally_id: the others
# are linked by party and time (docs/metrics.md).
STREAMS = [
    ("yt-0001", "PTI", "PTI", "rl-001", False, -0.5, 150, 120_000),
    ("yt-0002", "PML-N", "PML-N", "rl-004", False, -0.25, 120, 28_000),
    ("yt-0003", "JUI-F", "JUI-F", "rl-003", False, -0.5, 150, None),
    ("yt-0004", "PPP", "PPP", "rl-006", False, 0.0, 120, 35_000),
    ("yt-0005", "PTI", "PTI", "rl-007", False, -0.5, 150, 160_000),
    ("yt-0006", "PTI", "PTI", "rl-008", False, -0.5, 165, 210_000),
    ("yt-0007", "PTI", "PTI", "rl-009", False, -1.0, 210, 420_000),
    ("yt-0008", "IK", "PTI", "rl-009", True, 0.5, 150, 260_000),
    ("yt-0009", "PPP", "PPP", "rl-011", False, 0.0, 110, 18_000),
    ("yt-0010", "PML-N", "PML-N", "rl-012", False, -0.25, 120, 31_000),
    ("yt-0011", "JUI-F", "JUI-F", "rl-013", False, 0.0, 120, 14_000),
    ("yt-0012", "PTI", "PTI", "rl-014", False, -0.5, 160, 240_000),
    ("yt-0013", "MQM-P", "MQM-P", "rl-015", False, 0.0, 100, 9_500),
    ("yt-0014", "PTI", "PTI", "rl-010", False, -0.5, 480, 350_000),
]


def _stream_title(rally_id: str, held: dict[str, tuple]) -> str:
    city, venue = held[rally_id]
    return f"LIVE: Jalsa at {venue}, {city}"


def streams_frames() -> tuple[pl.DataFrame, pl.DataFrame]:
    """streams.csv and stream_samples.csv: each stream's audience rises to its peak about two thirds of the way
    through (the leader's speech), then falls to about 40 % of it by the end."""
    rng = np.random.default_rng(SEED + 22)  # its own stream: the other files keep their bytes
    latest: dict[str, tuple] = {}
    for row in RALLIES:
        if row[0] not in latest or row[4] > latest[row[0]][4]:
            latest[row[0]] = row
    starts = {r[0]: r[5] for r in latest.values()}
    held = {r[0]: (r[2], r[6]) for r in latest.values()}
    streams, samples = [], []
    for stream_id, channel, party, rally_id, stored, after_h, minutes, peak in STREAMS:
        started = starts[rally_id] + timedelta(hours=after_h)
        ended = started + timedelta(minutes=minutes)
        channel_id, channel_title = STREAM_CHANNELS[channel]
        title = _stream_title(rally_id, held)
        streams.append(
            (stream_id, "youtube", party, channel_id, channel_title, title, fmt(started - timedelta(minutes=30)),
             fmt(started), fmt(ended), None, None, rally_id if stored else None, None)
        )  # fmt: skip
        if peak is None:
            continue
        steps = int(timedelta(minutes=minutes) / STREAM_EVERY) + 1
        u = np.linspace(0.0, 1.0, steps)
        top = 0.65
        shape = np.where(u <= top, 0.15 + 0.85 * (u / top) ** 1.5, 1.0 - 0.6 * (u - top) / (1.0 - top))
        counts = shape * rng.normal(1.0, 0.03, steps)
        counts = np.round(counts / counts.max() * peak).astype(int)
        samples.extend((stream_id, fmt(started + STREAM_EVERY * i), int(n)) for i, n in enumerate(counts))
    columns = ["stream_id", "platform", "party", "channel_id", "channel_title", "title", "scheduled_at"]
    columns += ["started_at", "ended_at", "peak_viewers", "avg_viewers", "rally_id", "source_url"]
    schema = dict.fromkeys(columns, pl.String) | {"peak_viewers": pl.Int64, "avg_viewers": pl.Float64}
    return (
        pl.DataFrame(streams, schema=schema, orient="row"),
        pl.DataFrame(samples, schema=["stream_id", "at", "viewers"], orient="row"),
    )


# --- main --------------------------------------------------------------------------------------


def main() -> None:
    assert CAMPAIGN_TARGET_TWEETS > CAMPAIGN_REPORTED_MIN_TWEETS, "the report says over 7 million"
    rng = np.random.default_rng(SEED)
    spaces, space_rows = spaces_frame(rng)
    outputs = {
        "parties.csv": parties_frame(),
        "spaces.csv": spaces,
        "rallies.csv": rallies_frame(),
        "hashtags.csv": hashtag_counts(rng, space_rows),
        "hashtag_groups.csv": hashtag_groups_frame(),
        "claims.csv": claims_frame(),
    }
    outputs["raw_tweets.csv"] = raw_tweet_sample(outputs["hashtags.csv"])
    outputs["streams.csv"], outputs["stream_samples.csv"] = streams_frames()
    for name, frame in outputs.items():
        frame.write_csv(OUT_DIR / name)
        print(f"{name}: {frame.height} rows")


if __name__ == "__main__":
    main()
