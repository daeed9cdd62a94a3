"""The benchmark at 50,000 rows: every engine gives the same tables and the timing table prints."""

import subprocess
import sys

import polars as pl

from bench.run import differences
from tests.conftest import ROOT


def test_benchmark_runs_checks_equality_and_prints_the_table(tmp_path):
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--sizes", "50k", "--rounds", "1", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "50,000 rows: all engines give the same 6 tables." in done.stdout
    for engine in ("floor", "pulse", "pandas", "duckdb"):
        assert f"| 50,000 | {engine} |" in done.stdout
    assert "faster than pandas" in done.stdout


def test_the_equality_check_catches_a_difference():
    pulse = pl.DataFrame({"party": ["PPP", "PTI"], "tweets": [10, 20], "share_of_voice_pct": [33.333, 66.667]})
    assert differences(pulse, pulse.reverse(), "party_summary", "pandas") == []
    off = pulse.with_columns(pl.Series("share_of_voice_pct", [33.333, 66.68]))
    assert differences(pulse, off, "party_summary", "pandas") == [
        "party_summary.share_of_voice_pct: 1 rows differ, e.g. {'party': 'PTI'}: pulse 66.667, pandas 66.68"
    ]
