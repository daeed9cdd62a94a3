"""Seeded synthetic campaign data at any scale: raw tweets, and the Spaces, rallies and parties behind them.

Illustrative data for benchmarks and load tests, never measurements. The same rows and seed give the
same frames. Raw tweets are skewed the way real ones are: a few hashtags and accounts carry most of
the volume (power laws), evenings are busy and nights quiet, and every Space, rally announcement,
rally and a few news moments set off a burst that decays over hours. Everything is vectorised.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pulse.data.contract import ZULU_FORMAT
from pulse.data.store import SUFFIXES

DEFAULT_ROWS = 7_000_000
DEFAULT_SEED = 20220420
WINDOW_START = datetime(2022, 3, 1, tzinfo=UTC)
DAYS = 92  # 1 March to 31 May 2022
HOURS = DAYS * 24
PKT_OFFSET_H = 5  # Pakistan Standard Time, UTC+5, no daylight saving
TWITTER_EPOCH_MS = 1_288_834_974_657  # tweet ids are snowflakes: milliseconds since this, shifted left 22 bits

# (code, name, colour, share of tweets, median Space listeners, Spaces, rallies)
PARTIES = (
    ("PTI", "Pakistan Tehreek-e-Insaf", "#D62828", 0.55, 9_000, 20, 6),
    ("PML-N", "Pakistan Muslim League (N)", "#1B8A3A", 0.20, 3_500, 10, 4),
    ("PPP", "Pakistan Peoples Party", "#2D2A32", 0.12, 2_800, 8, 4),
    ("JUI-F", "Jamiat Ulema-e-Islam (F)", "#1F6F8B", 0.07, 1_200, 5, 3),
    ("MQM-P", "Muttahida Qaumi Movement – Pakistan", "#F28C28", 0.06, 1_500, 6, 3),
)
# Each party's own tags, most used first; a generated long tail follows them.
HEAD_TAGS = {
    "PTI": ("ImportedHakumatNaManzoor", "امپورٹڈ_حکومت_نامنظور", "ImranKhanLIVE", "PTIPowerShow"),
    "PML-N": ("PMShehbazSharif", "وزیراعظم_شہباز_شریف", "PMLNJalsa"),
    "PPP": ("BilawalBhutto", "PPPZindabad", "جئے_بھٹو"),
    "JUI-F": ("JUIFMarch", "FazlurRehman"),
    "MQM-P": ("MQMPKarachi", "HaqParast"),
}
SHARED_TAGS = ("Pakistan", "PakistanPolitics", "NoConfidenceMotion", "پاکستان")  # used by every party
TAGS_PER_PARTY = 60
SHARED_TAG_SHARE = 0.08
TAG_EXPONENT = 1.3  # Zipf-like: the top tag of a party carries about a third of its tweets
AUTHOR_EXPONENT = 0.9
TWEETS_PER_ACCOUNT = 25  # on average: the pool of accounts grows with the rows
NULL_AUTHOR_SHARE = 0.002  # deleted or withheld accounts
CITIES = (
    ("Islamabad", 33.6844, 73.0479),
    ("Lahore", 31.5204, 74.3587),
    ("Karachi", 24.8607, 67.0011),
    ("Peshawar", 34.0151, 71.5249),
    ("Multan", 30.1575, 71.5249),
    ("Faisalabad", 31.4504, 73.1350),
    ("Hyderabad", 25.3960, 68.3578),
    ("Rawalpindi", 33.5651, 73.0169),
    ("Quetta", 30.1798, 66.9750),
    ("Larkana", 27.5570, 68.2264),
)
# News moments that move every party: (UTC time, size relative to a party's hourly baseline).
NEWS = ((datetime(2022, 4, 9, 19, tzinfo=UTC), 12.0), (datetime(2022, 4, 11, 12, tzinfo=UTC), 6.0))
RECORD_SPACE = ("PTI", datetime(2022, 4, 20, 17, tzinfo=UTC), 446_000, 182_000, 165_000)
# Local (PKT) hour 0-23: quiet before dawn, busiest late evening.
DIURNAL_PKT = np.array(
    [0.90, 0.65, 0.40, 0.22, 0.13, 0.10, 0.12, 0.20, 0.35, 0.50, 0.60, 0.65,
     0.70, 0.70, 0.70, 0.72, 0.75, 0.80, 0.78, 0.85, 0.95, 1.00, 1.00, 0.95]
)  # fmt: skip


def _hour(at: datetime) -> float:
    return (at - WINDOW_START).total_seconds() / 3600


def _round_count(value: float) -> int:
    return int(round(value, -1 if value < 10_000 else -2))


def parties() -> pl.DataFrame:
    return pl.DataFrame([p[:3] for p in PARTIES], schema=["party", "name", "color"], orient="row")


def spaces(rng: np.random.Generator) -> pl.DataFrame:
    """Each party's Spaces in the evening (PKT), listeners log-normal around its median; the record one included."""
    rows = []
    for code, _, _, _, median, count, _ in PARTIES:
        days = np.sort(rng.choice(DAYS, size=count, replace=False))
        for day in days:
            local = int(rng.choice([20, 21, 22, 23])) * 60 + int(rng.choice([0, 15, 30]))
            start = WINDOW_START + timedelta(days=int(day), minutes=local - PKT_OFFSET_H * 60)
            total = _round_count(median * rng.lognormal(0.0, 0.6))
            peak = _round_count(total * rng.uniform(0.30, 0.65))
            avg = _round_count(peak * rng.uniform(0.45, 0.80))
            duration = timedelta(minutes=int(rng.integers(9, 31)) * 5)
            rows.append((code, start, start + duration, total, peak, avg))
    code, start, total, peak, avg = RECORD_SPACE
    rows.append((code, start, start + timedelta(minutes=125), total, peak, avg))
    rows.sort(key=lambda r: (r[1], r[0]))
    frame = pl.DataFrame(
        rows,
        schema={
            "party": pl.String,
            "started_at": pl.Datetime("us", "UTC"),
            "ended_at": pl.Datetime("us", "UTC"),
            "total_listeners": pl.Int64,
            "peak_listeners": pl.Int64,
            "avg_listeners": pl.Float64,
        },
        orient="row",
    ).with_row_index("n", offset=1)
    last = frame.height - 1
    return frame.select(
        pl.format("sp-{}", pl.col("n").cast(pl.String).str.zfill(4)).alias("space_id"),
        "party",
        (pl.col("party") + " Official").alias("host"),
        pl.format("{} live: the week ahead", pl.col("party")).alias("title"),
        "started_at",
        # The last Space is still live; one small Space's total went unreported.
        pl.when(pl.col("n") != last + 1).then(pl.col("ended_at")).alias("ended_at"),
        pl.when(pl.col("n") != 3).then(pl.col("total_listeners")).alias("total_listeners"),
        "peak_listeners",
        "avg_listeners",
    )


def rallies(rng: np.random.Generator) -> pl.DataFrame:
    """Each party's rallies, announced 3-15 days ahead; about a third rescheduled once (a second announcement)."""
    rows = []
    for code, _, _, _, _, _, count in PARTIES:
        for i in range(count):
            city, lat, lon = CITIES[int(rng.integers(len(CITIES)))]
            starts = WINDOW_START + timedelta(days=int(rng.integers(14, DAYS - 2)), hours=int(rng.integers(9, 13)))
            announced = starts - timedelta(days=int(rng.integers(3, 16)), hours=int(rng.integers(0, 6)))
            rally_id = f"{code.lower()}-{i + 1:02d}"
            attendance = _round_count(rng.lognormal(np.log(20_000), 0.5))
            if rng.random() < 0.35:
                moved = starts + timedelta(days=int(rng.choice([-2, -1, 1, 2, 3])))
                rescheduled = announced + (starts - announced) / 2
                rows.append((rally_id, code, city, announced, starts, None, lat, lon))
                rows.append((rally_id, code, city, rescheduled, max(moved, rescheduled), attendance, lat, lon))
            else:
                rows.append((rally_id, code, city, announced, starts, attendance, lat, lon))
    schema = {
        "rally_id": pl.String,
        "party": pl.String,
        "city": pl.String,
        "announced_at": pl.Datetime("us", "UTC"),
        "starts_at": pl.Datetime("us", "UTC"),
        "reported_attendance": pl.Int64,
        "lat": pl.Float64,
        "lon": pl.Float64,
    }
    return (
        pl.DataFrame(rows, schema=schema, orient="row")
        .select(
            "rally_id",
            "party",
            "city",
            "announced_at",
            "starts_at",
            pl.lit("Main ground").alias("venue"),
            "lat",
            "lon",
            "reported_attendance",
        )
        .sort("rally_id", "announced_at")
    )


def _burst(t: np.ndarray, at: datetime, size: float, decay_h: float) -> np.ndarray:
    """A spike at `at` decaying over `decay_h` hours, with a little anticipation in the 3 hours before."""
    dt = t - _hour(at)
    return np.where(
        dt >= 0, size * np.exp(-np.clip(dt, 0, None) / decay_h), 0.25 * size * np.exp(np.clip(dt, None, 0) / 3)
    )


def hourly_intensity(space_frame: pl.DataFrame, rally_frame: pl.DataFrame) -> np.ndarray:
    """Relative tweet rate per (party, UTC hour): baseline x daily rhythm x bursts at every event."""
    t = np.arange(HOURS, dtype=float)
    diurnal = DIURNAL_PKT[(np.arange(HOURS) + PKT_OFFSET_H) % 24]
    rates = np.empty((len(PARTIES), HOURS))
    for p, (code, _, _, share, median, _, _) in enumerate(PARTIES):
        rate = np.ones(HOURS)
        for at, size in NEWS:
            rate += _burst(t, at, size, 24)
        for started, total in (
            space_frame.filter(pl.col("party") == code).select("started_at", "total_listeners").rows()
        ):
            rate += _burst(t, started, 1.5 * (total or median) / median, 3)
        for announced, starts in rally_frame.filter(pl.col("party") == code).select("announced_at", "starts_at").rows():
            rate += _burst(t, announced, 1.5, 4) + _burst(t, starts, 6.0, 8)
        rates[p] = share * rate / rate.mean() * diurnal
    return rates


def _power_law_ranks(rng: np.random.Generator, n: int, size: int, exponent: float) -> np.ndarray:
    """Ranks 0..n-1 with P(rank k) roughly proportional to (k + 1) ** -exponent (inverse of the continuous CDF)."""
    u = rng.random(size)
    a = 1.0 - exponent
    x = ((n + 1.0) ** a - 1.0) * u + 1.0
    return np.minimum(x ** (1.0 / a) - 1.0, n - 1).astype(np.int64)


def _tag_names() -> list[str]:
    """Every canonical tag: each party's block (head, then a generated tail), then the shared tags."""
    names = []
    for code, *_ in PARTIES:
        head = HEAD_TAGS[code]
        stem = code.replace("-", "")
        names += [*head, *[f"{stem}Tag{i:02d}" for i in range(TAGS_PER_PARTY - len(head))]]
    return [*names, *SHARED_TAGS]


def tweets(rows: int, rng: np.random.Generator, space_frame: pl.DataFrame, rally_frame: pl.DataFrame) -> pl.DataFrame:
    """`rows` raw tweets (one row per tweet and hashtag) in the contract's raw form, roughly in time order."""
    return next(tweet_chunks(rows, rng, space_frame, rally_frame, HOURS))


def tweet_chunks(
    rows: int, rng: np.random.Generator, space_frame: pl.DataFrame, rally_frame: pl.DataFrame, hours: int
) -> Iterator[pl.DataFrame]:
    """The same `rows` raw tweets as frames of `hours` UTC hours each, in time order: any size in bounded memory."""
    intensity = hourly_intensity(space_frame, rally_frame)
    noisy = intensity.T * rng.gamma(20.0, 1 / 20.0, intensity.T.shape)  # hour-major cells: (hour, party)
    per_cell = rng.multinomial(rows, (noisy / noisy.sum()).ravel())
    n_parties = len(PARTIES)
    # Accounts: each party has its own pool; a few accounts tweet a lot.
    pool = max(rows // TWEETS_PER_ACCOUNT // n_parties, 1)
    account_ids = 10**9 + rng.permutation(pool * n_parties) * 7_919  # numeric strings, like X's user ids
    names = _tag_names()
    # 80 % as coined, 10 % with a '#', 10 % lower-case: the loader must merge the three.
    spellings = pl.Series([*names, *[f"#{n}" for n in names], *[n.lower() for n in names]])
    codes = pl.Series([p[0] for p in PARTIES])
    done = 0
    for first in range(0, HOURS, hours):
        cells = per_cell[first * n_parties : (first + hours) * n_parties]
        size = int(cells.sum())
        hour, party = np.divmod(np.repeat(np.arange(cells.size), cells) + first * n_parties, n_parties)
        seconds = hour * 3600 + rng.integers(0, 3600, size)  # since WINDOW_START

        # Hashtags: a party's own tags by a power law, now and then a shared one; as written, not normalised.
        tag = party * TAGS_PER_PARTY + _power_law_ranks(rng, TAGS_PER_PARTY, size, TAG_EXPONENT)
        shared = rng.random(size) < SHARED_TAG_SHARE
        tag[shared] = n_parties * TAGS_PER_PARTY + rng.integers(0, len(SHARED_TAGS), int(shared.sum()))
        written = tag + rng.choice(3, size=size, p=[0.8, 0.1, 0.1]) * len(names)
        del tag, shared
        author = account_ids[party * pool + _power_law_ranks(rng, pool, size, AUTHOR_EXPONENT)]

        likes = np.floor(rng.lognormal(0.5, 1.6, size)).astype(np.int64)
        retweets = np.floor(likes * rng.uniform(0.0, 0.4, size)).astype(np.int64)
        milliseconds = (WINDOW_START.timestamp() * 1000 + seconds * 1000).astype(np.int64)
        # Snowflake ids: unique because rows of one second are within one hour's block of the whole data.
        tweet_id = ((milliseconds - TWITTER_EPOCH_MS) << 22) + (np.arange(size, dtype=np.int64) + done) % (1 << 22)
        done += size
        yield pl.DataFrame(
            {
                "created_at": pl.Series(milliseconds * 1000).cast(pl.Datetime("us", "UTC")),
                "party": codes.gather(party),
                "hashtag": spellings.gather(written),
                "tweet_id": pl.Series(tweet_id).cast(pl.String),
                "author_id": pl.Series(author).cast(pl.String),
                "retweets": retweets,
                "likes": likes,
            }
        ).with_columns(
            pl.when(pl.Series(rng.random(size) >= NULL_AUTHOR_SHARE)).then(pl.col("author_id")).alias("author_id")
        )


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> dict[str, pl.DataFrame]:
    """Every dataset of a data directory, keyed by name: parties, spaces, rallies and `rows` raw tweets."""
    rng = np.random.default_rng(seed)
    space_frame = spaces(rng)
    rally_frame = rallies(rng)
    return {
        "parties": parties(),
        "spaces": space_frame,
        "rallies": rally_frame,
        "hashtags": tweets(rows, rng, space_frame, rally_frame),
    }


def write(frames: dict[str, pl.DataFrame], out: Path, csv: bool = False) -> list[Path]:
    """Write a data directory: hashtags as Parquet (CSV with `csv`), the small tables as CSV."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in frames.items():
        for stale in (out / f"{name}{suffix}" for suffix in SUFFIXES):
            stale.unlink(missing_ok=True)  # a data directory holds exactly one file per dataset
        path = out / f"{name}.parquet" if name == "hashtags" and not csv else out / f"{name}.csv"
        _write_file(frame, path)
        written.append(path)
    return written


def write_partitioned(rows: int, seed: int, out: Path, csv: bool = False) -> list[Path]:
    """A raw archive as real ones are kept: `out/raw/day=YYYY-MM-DD/part-0.parquet` per UTC day, in bounded
    memory, beside the small tables (no hashtags file: `python -m pulse rollup --raw out/raw --out out` makes it)."""
    rng = np.random.default_rng(seed)
    space_frame = spaces(rng)
    rally_frame = rallies(rng)
    small = {"parties": parties(), "spaces": space_frame, "rallies": rally_frame}
    written = write(small, out)
    raw = out / "raw"
    for day, chunk in enumerate(tweet_chunks(rows, rng, space_frame, rally_frame, 24)):
        folder = raw / f"day={(WINDOW_START + timedelta(days=day)):%Y-%m-%d}"
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.iterdir():
            stale.unlink()
        path = folder / ("part-0.csv" if csv else "part-0.parquet")
        _write_file(chunk, path)
        written.append(path)
    return written


def _write_file(frame: pl.DataFrame, path: Path) -> None:
    """`frame` as the file `path` names: CSV (times as ZULU_FORMAT, as exports write them) or Parquet."""
    if path.suffix == ".csv":
        frame.write_csv(path, datetime_format=ZULU_FORMAT)
    else:
        frame.write_parquet(path)
