"""Who drives it, pinned: the drivers tables of seeded generated data, byte for byte, as they were before issue 21's
faster paths (per-author counts from integer keys, a plain count where tweet ids are unique, ranks by one sort).

Each hash was taken on the code before those changes; a faster path that changes one byte of a table fails here.
The hand-computed tests (test_drivers.py, test_drivers_rollup.py) say why each value is right; these say that
the values did not move.
"""

import hashlib
from datetime import date

import polars as pl
import pytest

from pulse import cli
from pulse.data.load import load_raw_tweets
from pulse.data.store import Store
from pulse.metrics.drivers import driver_tables
from pulse.metrics.filters import Filters
from pulse.rollup import rollup
from pulse.synth import generate, write

TZ = "Asia/Karachi"
GROUPS = pl.DataFrame(
    {"hashtag": ["ImportedHakumatNaManzoor", "امپورٹڈ_حکومت_نامنظور"], "campaign": ["Imported", "Imported"]}
)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def csv_hash(*frames: pl.DataFrame) -> str:
    return sha(b"".join(frame.write_csv().encode() for frame in frames))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> pl.DataFrame:
    """40,000 seeded raw tweets, with every tenth tweet's row repeated under a second hashtag of its party and
    every 50th without a tweet id, so that the counts by distinct tweet are exercised as well as plain ones."""
    rows = generate(40_000, seed=21)["hashtags"]
    index = pl.int_range(pl.len())
    second = rows.filter(index % 10 == 0).with_columns(pl.lit("SecondTag").alias("hashtag"))
    no_id = pl.when(index % 50 == 7).then(None).otherwise(pl.col("tweet_id")).alias("tweet_id")
    return pl.concat([rows, second]).with_columns(no_id)


def data_dir(path, rows: pl.DataFrame):
    frames = generate(10, seed=21)
    frames["hashtags"] = rows
    write(frames, path)
    return path


def export_hashes(data, out, *extra: str) -> dict[str, str]:
    assert cli.main(["export", "--data", str(data), "--out", str(out), *extra]) == 0
    return {name: sha((out / name).read_bytes()) for name in DRIVER_FILES if (out / name).exists()}


DRIVER_FILES = ("hashtag_drivers.csv", "copy_bursts.csv")
EXPORT_ALL = {"hashtag_drivers.csv": "c0025b01c4645ad54cd4afdd309b29c288f8edcfcd55d5ddf45726be082e4df7"}
EXPORT_ROLLUP = EXPORT_ALL  # the rollup's day counts give the raw rows' table exactly
EXPORT_UNIQUE = {"hashtag_drivers.csv": "9c05d665d2cb7a06f5e0af65a67b67063f8ad76c541909624c4ccf8d19fea49e"}
CAMPAIGNS = "b1d4ae756156beed53ac091e5d3b90a0a7f1c372ba44ffc3b043dbffa515d57b"
EXPORT_WEEK = {"hashtag_drivers.csv": "3b2e839faf0e78a59b5d30244afdb729e0e20c6e707b2789b899d69146504359"}
WEEK_WITH_BURSTS = "abd32eff8583dcd2169d7023999dbb0748cf60e7a08011a1c64c18c4ec38bf6c"


def test_export_of_raw_tweets(generated, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_AUTHOR_SALT", "pinned")
    data = data_dir(tmp_path / "data", generated)
    assert export_hashes(data, tmp_path / "all") == EXPORT_ALL
    assert export_hashes(data, tmp_path / "week", "--start", "2022-04-10", "--end", "2022-04-16") == EXPORT_WEEK


def test_export_of_unique_tweets_without_texts(generated, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_AUTHOR_SALT", "pinned")
    data = data_dir(tmp_path / "data", generate(40_000, seed=22)["hashtags"].drop("text", strict=False))
    assert export_hashes(data, tmp_path / "out", "--party", "PTI", "PML-N") == EXPORT_UNIQUE


def test_tables_by_campaign_and_with_copy_bursts(generated, tmp_path):
    index = pl.int_range(pl.len())
    pasted = pl.format("Paste number {} @someone https://t.co/x", index % 40)
    texted = generated.with_columns(pl.when(index % 4 == 0).then(pasted).otherwise(None).alias("text"))
    raw = load_raw_tweets(Store(data_dir(tmp_path / "data", texted))).rows
    campaigns = driver_tables(raw, GROUPS, Filters(), TZ, "campaign", 3)
    assert campaigns.bursts.height > 0 and campaigns.drivers["copy_burst_share_pct"].max() > 0
    assert csv_hash(campaigns.drivers, campaigns.concentration, campaigns.bursts.drop("account_ids")) == CAMPAIGNS
    week = driver_tables(raw, GROUPS, Filters(date(2022, 4, 10), date(2022, 4, 16)), TZ, "hashtag", 3)
    assert csv_hash(week.drivers, week.concentration, week.bursts.drop("account_ids")) == WEEK_WITH_BURSTS


def test_export_of_a_rollup(generated, tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_AUTHOR_SALT", "pinned")
    raw = tmp_path / "raw"
    raw.mkdir()
    generated.write_parquet(raw / "tweets.parquet")
    out = tmp_path / "rolled"
    rollup(str(raw), out, TZ)
    frames = generate(10, seed=21)
    for name in ("spaces", "rallies", "parties"):
        frames[name].write_csv(out / f"{name}.csv")
    assert export_hashes(out, tmp_path / "out") == EXPORT_ROLLUP
