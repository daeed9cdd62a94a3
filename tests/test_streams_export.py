"""`python -m pulse export` and the page's workbook gain streams.csv whenever the data has streams: the Spaces'
metric columns where they apply, each figure worked out by hand on a small directory."""

import shutil

import polars as pl

from pulse import cli
from tests.conftest import BUNDLED

RALLIES = """rally_id,party,city,announced_at,starts_at
rl-1,PTI,Lahore,2022-04-01T00:00:00Z,2022-04-21T15:00:00Z
"""
STREAMS = """stream_id,platform,party,channel_id,channel_title,title,started_at,ended_at,peak_viewers,avg_viewers
v1,youtube,PTI,UC1,PTI Official,=HYPERLINK("x"),2022-04-21T14:00:00Z,2022-04-21T14:10:00Z,,
v2,youtube,PTI,UC1,PTI Official,Second,2022-04-21T20:00:00Z,2022-04-21T20:30:00Z,800,500
v3,youtube,PTI,UC1,PTI Official,Hidden count,2022-04-21T21:01:00Z,2022-04-21T22:00:00Z,,
"""
SAMPLES = """stream_id,at,viewers
v1,2022-04-21T14:00:00Z,100
v1,2022-04-21T14:05:00Z,300
v1,2022-04-21T14:10:00Z,200
"""


def test_export_writes_streams_with_the_spaces_metric_columns(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name, text in (("rallies", RALLIES), ("streams", STREAMS), ("stream_samples", SAMPLES)):
        (data / f"{name}.csv").write_text(text)
    out = tmp_path / "out"
    assert cli.main(["export", "--data", str(data), "--out", str(out), "--tz", "Asia/Karachi"]) == 0
    streams = pl.read_csv(out / "streams.csv", infer_schema=False)
    shown = streams.select(
        "stream_id", "title", "started_at_local", "peak_viewers", "avg_viewers", "rally_id", "rally_link",
        "duration_min", "viewer_minutes", "record_multiple", "is_record",
    ).rows()  # fmt: skip
    assert shown == [
        # v1: peak 300 from its samples; (100+300)/2 × 300 s + (300+200)/2 × 300 s = 135,000 over 600 s = 225;
        # its rally starts an hour after it: linked; 225 × 10 min = 2,250 viewer-minutes; the first stream: a record.
        ("v1", '\'=HYPERLINK("x")', "2022-04-21 19:00", "300", "225", "rl-1", "nearest", "10", "2250", None, "true"),
        # v2: 5 h after the rally's start: linked; 500 × 30 = 15,000; 800 / 300 = 2.67 times the earlier best.
        ("v2", "Second", "2022-04-22 01:00", "800", "500", "rl-1", "nearest", "30", "15000", "2.67", "true"),
        # v3: 6 h 1 min after the rally: no rally; no count: no figure.
        ("v3", "Hidden count", "2022-04-22 02:01", None, None, None, None, "59", None, None, None),
    ]
    assert "retention_pct" not in streams.columns  # a stream has no total to retain
    assert {"benchmark_viewers", "overperforming", "scheduled_at"} <= set(streams.columns)


def test_a_directory_without_streams_exports_no_streams_file(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("*.py", "*.md", "stream*.csv", "raw_tweets.csv"))
    assert cli.main(["export", "--data", str(data), "--out", str(tmp_path / "out")]) == 0
    assert not (tmp_path / "out" / "streams.csv").exists()
    assert (tmp_path / "out" / "spaces.csv").exists()
