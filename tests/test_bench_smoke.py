"""The benchmarks at small sizes: the engines agree, the lower bound groups like pulse, the tables print."""

import subprocess
import sys

import polars as pl

from bench.bound import ready_keys
from bench.run import FLOOR_COLUMNS, differences
from pulse.data.load import load_hashtags
from pulse.synth import generate
from tests.conftest import ROOT


def run_script(script: str, *args: str) -> str:
    """What a bench/ script prints, run as a user runs it; fails the test with its output if it fails."""
    done = subprocess.run(
        [sys.executable, f"bench/{script}", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_benchmark_runs_checks_equality_and_prints_the_table(tmp_path):
    out = run_script("run.py", "--sizes", "50k", "--rounds", "1", "--out", str(tmp_path))
    assert "50,000 rows: all engines give the same 7 tables." in out
    for engine in ("floor", "pulse", "pandas", "duckdb"):
        assert f"| 50,000 | {engine} |" in out
    assert "faster than pandas" in out


def test_the_equality_check_catches_a_difference():
    pulse = pl.DataFrame({"party": ["PPP", "PTI"], "tweets": [10, 20], "share_of_voice_pct": [33.333, 66.667]})
    assert differences(pulse, pulse.reverse(), "party_summary", "pandas") == []
    off = pulse.with_columns(pl.Series("share_of_voice_pct", [33.333, 66.68]))
    assert differences(pulse, off, "party_summary", "pandas") == [
        "party_summary.share_of_voice_pct: 1 rows differ, e.g. {'party': 'PTI'}: pulse 66.667, pandas 66.68"
    ]


def test_the_lower_bound_groups_as_many_keys_as_pulse_and_prints_its_table(tmp_path):
    generate(5_000, seed=3)["hashtags"].write_parquet(tmp_path / "hashtags.parquet")
    keys = ready_keys(pl.read_parquet(tmp_path / "hashtags.parquet", columns=FLOOR_COLUMNS))
    pulse = load_hashtags(tmp_path / "hashtags.parquet", "UTC")  # in UTC, pulse's hours and days are UTC's too
    assert keys["hour_key"].n_unique() == pulse.counts.height
    assert keys.drop_nulls("author")["day_key"].n_unique() == pulse.authors_daily.height

    out = run_script("bound.py", "--sizes", "20k", "--runs", "1", "--out", str(tmp_path))
    assert "| 20,000 | **lower bound**: the three added up |" in out
    assert "| 20,000 | pulse's whole pipeline |" in out
    assert "| 20,000 | **lower bound without unique authors**: that read and the hourly count |" in out
