"""`python -m pulse export` writes who drives each hashtag when tweets have authors, and copy bursts with texts."""

import hashlib
import hmac
import shutil

import polars as pl

from pulse.rollup import rollup
from tests.conftest import BUNDLED
from tests.test_cli import export, read
from tests.test_drivers_rollup import ROWS, frame

SAMPLE = pl.read_csv(BUNDLED / "raw_tweets.csv", infer_schema=False)


def data_dir(tmp_path, raw: pl.DataFrame | None = None):
    """The bundled data, with `raw` as its raw_tweets sample (none when None)."""
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("*.py", "*.md", "raw_tweets.csv"))
    if raw is not None:
        raw.write_csv(data / "raw_tweets.csv")
    return data


def test_bundled_sample_gives_drivers_and_bursts_with_hashed_account_ids(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_AUTHOR_SALT", "newsroom-key")
    monkeypatch.delenv("PULSE_SHOW_AUTHOR_IDS", raising=False)
    result = export("--data", str(BUNDLED), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    drivers = read(tmp_path / "hashtag_drivers.csv")
    assert drivers.columns[:3] == ["hashtag", "party", "tweets"]
    bursts = read(tmp_path / "copy_bursts.csv")
    biggest = bursts.row(0, named=True)
    assert (biggest["party"], biggest["accounts"], biggest["tweets"]) == ("PTI", "48", "48")
    # Each copy carries two hashtags: 96 rows of the sample, 48 tweets.
    window = pl.col("created_at").is_between(pl.lit("2022-04-10T17:30:00Z"), pl.lit("2022-04-10T17:36:16Z"))
    planted = SAMPLE.filter(
        window & pl.col("text").str.to_lowercase().str.contains("imported hakumat na manzoor! qaum")
    )
    assert planted.height == 96 and planted["tweet_id"].n_unique() == 48
    first_authors = planted.unique("tweet_id", keep="first", maintain_order=True)["author_id"].head(20).to_list()
    expected = ["a-" + hmac.new(b"newsroom-key", a.encode(), hashlib.sha256).hexdigest()[:12] for a in first_authors]
    assert biggest["account_ids"].split("|") == expected
    assert not set(SAMPLE["author_id"]) & set(biggest["account_ids"].split("|"))


def test_raw_ids_only_when_the_setting_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_SHOW_AUTHOR_IDS", "true")
    result = export("--data", str(BUNDLED), "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    ids = read(tmp_path / "copy_bursts.csv")["account_ids"][0].split("|")
    assert set(ids) <= set(SAMPLE["author_id"]) and len(ids) == 20


def test_no_authors_no_driver_files_and_no_text_no_bursts(tmp_path):
    out = tmp_path / "out"
    assert export("--data", str(data_dir(tmp_path)), "--out", str(out)).returncode == 0
    assert not (out / "hashtag_drivers.csv").exists() and not (out / "copy_bursts.csv").exists()
    shutil.rmtree(tmp_path / "data")
    data = data_dir(tmp_path, SAMPLE.drop("text"))
    assert export("--data", str(data), "--out", str(out)).returncode == 0
    assert (out / "hashtag_drivers.csv").exists() and not (out / "copy_bursts.csv").exists()
    assert set(read(out / "hashtag_drivers.csv")["copy_burst_share_pct"].to_list()) == {None}


def test_hostile_texts_leave_cut_to_140_characters_and_inert(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_BURST_MIN_ACCOUNTS", "2")
    text = '=HYPERLINK("http://evil.example","click") <script>alert(1)</script> ' + "x" * 200
    rows = pl.DataFrame(
        {
            "created_at": ["2022-04-20T10:00:00Z", "2022-04-20T10:00:30Z"],
            "party": ["PTI", "PTI"],
            "hashtag": ["Vote", "Vote"],
            "tweet_id": ["1", "2"],
            "author_id": ["11", "12"],
            "text": [text, text],
        }
    )
    out = tmp_path / "out"
    result = export("--data", str(data_dir(tmp_path, rows)), "--out", str(out))
    assert result.returncode == 0, result.stderr
    burst = read(out / "copy_bursts.csv").row(0, named=True)
    assert burst["text"] == "'" + text[:140]  # a spreadsheet shows it as text, not a formula


def test_a_broken_raw_sample_is_reported_by_line_and_nothing_is_written(tmp_path):
    broken = SAMPLE.with_columns(
        pl.when(pl.int_range(pl.len()) == 6).then(pl.lit("yesterday")).otherwise("created_at").alias("created_at")
    )
    out = tmp_path / "out"
    result = export("--data", str(data_dir(tmp_path, broken)), "--out", str(out))
    assert result.returncode == 2
    assert "raw_tweets.csv, line 8, column 'created_at'" in result.stderr and "yesterday" in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_a_rolled_up_archive_gives_the_drivers_the_page_shows(tmp_path):
    """From the rollup's hashtag_author_days, as the Hashtags page reads them (there are no raw tweets here)."""
    (tmp_path / "raw").mkdir()
    frame(ROWS).write_parquet(tmp_path / "raw" / "part-0.parquet")
    data = tmp_path / "data"
    rollup(str(tmp_path / "raw"), data, "Asia/Karachi")
    for name in ("spaces.csv", "rallies.csv"):
        shutil.copy(BUNDLED / name, data / name)
    out = tmp_path / "out"
    result = export("--data", str(data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    drivers = read(out / "hashtag_drivers.csv")
    # tests/test_drivers_rollup.py computes these by hand: A/PTI 4 tweets by 2 authors, B/PTI 2 by 2, A/PPP 1 by 1.
    assert drivers.select("hashtag", "party", "tweets", "authors").rows() == [
        ("A", "PTI", "4", "2"),
        ("B", "PTI", "2", "2"),
        ("A", "PPP", "1", "1"),
    ]
    assert not (out / "copy_bursts.csv").exists()  # the day counts have no texts
