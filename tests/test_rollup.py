"""`python -m pulse rollup`: a raw archive rolled up into the counts form and unique authors, incrementally."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse import rollup_manifest
from pulse.cli import main
from pulse.data.load import load_data_dir
from pulse.data.store import MANIFEST
from pulse.errors import PulseError, ValidationError
from pulse.rollup import AUTHOR_DAYS_FILE, AUTHORS_FILE, COUNTS_FILE, polars_engine, rollup
from pulse.synth import generate
from tests.conftest import BUNDLED, ROOT, utc
from tests.test_pages import csv_of, downloads  # noqa: F401 (downloads is a fixture)

TZ = "Asia/Karachi"  # UTC+5: a local day runs from 19:00 UTC the day before
OUTPUTS = (COUNTS_FILE, AUTHORS_FILE, AUTHOR_DAYS_FILE)

FIRST_DAY_CSV = (
    "created_at,party,hashtag,author_id\n"
    "2022-04-20T17:05:00Z,PTI,#ImportedHakumatNaManzoor,u1\n"
    "2022-04-20T17:10:00Z, PTI ,importedhakumatnamanzoor,u1\n"  # the same party, hashtag and author
    "2022-04-20T18:59:59Z,PTI,#ImportedHakumatNaManzoor,u2\n"  # 23:59:59 in Pakistan
    "2022-04-20T19:00:00Z,PTI,#ImportedHakumatNaManzoor,u1\n"  # 00:00 on the 21st in Pakistan
    "2022-04-20T18:00:00Z,PPP,#BilawalBhutto,\n"  # no author: counted as a tweet, not as an author
)


def second_day() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "created_at": [utc(2022, 4, 21, 4), utc(2022, 4, 21, 20)],  # 09:00 on the 21st, 01:00 on the 22nd
            "party": ["PTI", "PPP"],
            "hashtag": ["ImportedHakumatNaManzoor", "bilawalbhutto"],
            "author_id": ["u3", "u9"],
        }
    )


@pytest.fixture
def hand_archive(tmp_path):
    return hand_made(tmp_path / "raw")


def hand_made(raw):
    """Two files of a hive-partitioned archive, one CSV and one Parquet, written by hand."""
    (raw / "day=2022-04-20").mkdir(parents=True)
    (raw / "day=2022-04-20" / "part-0.csv").write_text(FIRST_DAY_CSV, encoding="utf-8")
    (raw / "day=2022-04-21").mkdir()
    second_day().write_parquet(raw / "day=2022-04-21" / "part-0.parquet")
    return raw


def test_hand_computed_counts_and_unique_authors(hand_archive, tmp_path):
    done = rollup(str(hand_archive), tmp_path / "out", TZ)
    counts = pl.read_parquet(tmp_path / "out" / COUNTS_FILE)
    expected = pl.DataFrame(
        {
            # As the loader shows them: the spelling most rows use (a tie goes to the capitals), without '#'.
            "hashtag": ["ImportedHakumatNaManzoor", "BilawalBhutto", "ImportedHakumatNaManzoor"]
            + ["ImportedHakumatNaManzoor", "ImportedHakumatNaManzoor", "BilawalBhutto"],
            "party": ["PTI", "PPP", "PTI", "PTI", "PTI", "PPP"],
            "period_start": [
                utc(2022, 4, 20, 17),
                utc(2022, 4, 20, 18),
                utc(2022, 4, 20, 18),
                utc(2022, 4, 20, 19),
                utc(2022, 4, 21, 4),
                utc(2022, 4, 21, 20),
            ],
            "tweets": [2, 1, 1, 1, 1, 1],
        },
        schema_overrides={"period_start": pl.Datetime("us", "UTC")},
    )
    assert_frame_equal(counts, expected)
    authors = pl.read_parquet(tmp_path / "out" / AUTHORS_FILE)
    expected_authors = pl.DataFrame(
        {
            # The PPP tweet of the 20th has no author, so that day has no PPP row.
            "date": [date(2022, 4, 20), date(2022, 4, 21), date(2022, 4, 22)],
            "party": ["PTI", "PTI", "PPP"],
            "hashtag": ["ImportedHakumatNaManzoor", "ImportedHakumatNaManzoor", "BilawalBhutto"],
            "authors": [2, 2, 1],  # u1, u2 on the 20th; u1 (00:00 local) and u3 on the 21st
        }
    )
    assert_frame_equal(authors, expected_authors)
    author_days = pl.read_parquet(tmp_path / "out" / AUTHOR_DAYS_FILE)
    expected_author_days = pl.DataFrame(
        {
            "date": [date(2022, 4, 20)] * 3 + [date(2022, 4, 21)] * 2 + [date(2022, 4, 22)],
            "party": ["PPP", "PTI", "PTI", "PTI", "PTI", "PPP"],
            "hashtag": ["BilawalBhutto"] + ["ImportedHakumatNaManzoor"] * 4 + ["BilawalBhutto"],
            # The tweet without an author is kept, with none: the drivers' tweets count it.
            "author_id": [None, "u1", "u2", "u1", "u3", "u9"],
            "tweets": [1, 2, 1, 1, 1, 1],  # no tweet_id: each row is a tweet (u1's two on the 20th)
        }
    )
    assert_frame_equal(author_days, expected_author_days)
    assert (done.files, done.read, done.rows) == (2, 2, 7)
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert [(f["first_day"], f["last_day"], f["rows"]) for f in manifest["files"]] == [
        ("2022-04-20", "2022-04-21", 5),
        ("2022-04-21", "2022-04-22", 2),
    ]


def test_the_rollup_is_what_the_loader_computes_from_the_same_raw_rows(hand_archive, tmp_path):
    raw_dir = tmp_path / "raw-data"
    rolled_dir = tmp_path / "rolled-data"
    for directory in (raw_dir, rolled_dir):
        directory.mkdir()
        for name in ("spaces.csv", "rallies.csv", "parties.csv"):
            shutil.copy(BUNDLED / name, directory / name)
    first = pl.read_csv(hand_archive / "day=2022-04-20" / "part-0.csv", infer_schema=False)
    second = second_day().with_columns(pl.col("created_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ"))
    pl.concat([first, second]).write_csv(raw_dir / "hashtags.csv")
    rollup(str(hand_archive), rolled_dir, TZ)

    from_raw = load_data_dir(raw_dir, TZ).hashtags
    from_rollup = load_data_dir(rolled_dir, TZ).hashtags
    assert from_rollup.form == "counts"
    assert_frame_equal(from_rollup.counts, from_raw.counts)
    assert_frame_equal(
        from_rollup.authors_daily.sort("date", "party", "hashtag"),
        from_raw.authors_daily.sort("date", "party", "hashtag"),
    )


def test_generated_archive_matches_the_loader_on_every_row(tmp_path):
    """Hundreds of hashtag spellings ('#', case), thousands of authors, some missing: the loader's own tables."""
    tweets = generate(30_000, seed=7)["hashtags"]
    raw = archive(tmp_path / "raw", tweets)
    tweets.write_parquet(tmp_path / "whole.parquet")
    from pulse.data.load import load_hashtags

    loaded = load_hashtags(tmp_path / "whole.parquet", TZ)
    rollup(str(raw), tmp_path / "out", TZ, batch_rows=5_000)  # many batches of days
    assert_frame_equal(
        pl.read_parquet(tmp_path / "out" / COUNTS_FILE), loaded.counts.sort("period_start", "party", "hashtag")
    )
    expected = loaded.authors_daily.select("date", "party", "hashtag", pl.col("unique_authors").alias("authors"))
    assert_frame_equal(pl.read_parquet(tmp_path / "out" / AUTHORS_FILE), expected.sort("date", "party", "hashtag"))


# -- incremental runs equal one full run -------------------------------------------------------------


def archive(raw, tweets: pl.DataFrame):
    """`tweets` as one Parquet file per UTC day under raw/day=YYYY-MM-DD/, as archives are kept."""
    days = tweets.with_columns(pl.col("created_at").dt.date().alias("__day"))
    for (day,), part in days.partition_by("__day", as_dict=True).items():
        folder = raw / f"day={day}"
        folder.mkdir(parents=True, exist_ok=True)
        part.drop("__day").write_parquet(folder / "part-0.parquet")
    return raw


@pytest.fixture
def days_archive(tmp_path):
    """Eight UTC days of generated tweets (every hashtag spelling, authors), one file per day."""
    tweets = generate(40_000, seed=11)["hashtags"]
    tweets = tweets.filter(pl.col("created_at") < utc(2022, 3, 9))
    return archive(tmp_path / "raw", tweets), tweets


def full_run(raw, tmp_path) -> dict[str, bytes]:
    fresh = tmp_path / f"full-{len(list(tmp_path.iterdir()))}"
    rollup(str(raw), fresh, TZ)
    return {name: (fresh / name).read_bytes() for name in OUTPUTS}


def outputs(out) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUTS}


def bump(path):
    """Give a rewritten file a new modification time even on file systems with coarse clocks."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))


def test_a_new_file_is_read_with_its_neighbours_only(days_archive, tmp_path):
    raw, _ = days_archive
    last = raw / "day=2022-03-08"
    moved = tmp_path / "later"
    shutil.move(last, moved)
    out = tmp_path / "out"
    assert rollup(str(raw), out, TZ).files == 7
    shutil.move(moved, last)
    done = rollup(str(raw), out, TZ)
    # The new UTC day holds the local 8th and 9th; the local 8th began at 19:00 UTC on the 7th.
    assert (done.files, done.read, done.days) == (8, 2, 2)
    assert outputs(out) == full_run(raw, tmp_path)


def test_a_changed_file_replaces_its_days(days_archive, tmp_path):
    raw, tweets = days_archive
    out = tmp_path / "out"
    rollup(str(raw), out, TZ)
    changed = raw / "day=2022-03-04" / "part-0.parquet"
    day = tweets.filter(pl.col("created_at").dt.date() == date(2022, 3, 4))
    day.head(day.height // 2).with_columns(pl.lit("#Late").alias("hashtag")).write_parquet(changed)
    bump(changed)
    done = rollup(str(raw), out, TZ)
    assert (done.read, done.days) == (3, 2)
    assert outputs(out) == full_run(raw, tmp_path)
    assert "Late" in pl.read_parquet(out / COUNTS_FILE)["hashtag"].to_list()


def test_a_removed_file_takes_its_rows_with_it(days_archive, tmp_path):
    raw, _ = days_archive
    out = tmp_path / "out"
    rollup(str(raw), out, TZ)
    shutil.rmtree(raw / "day=2022-03-05")
    done = rollup(str(raw), out, TZ)
    assert (done.files, done.days) == (7, 2)
    assert outputs(out) == full_run(raw, tmp_path)
    tweets_left = pl.read_parquet(out / COUNTS_FILE)["tweets"].sum()
    assert tweets_left == sum(pl.read_parquet(p).height for p in raw.rglob("*.parquet"))


def test_a_late_file_for_an_old_day_recounts_that_day_across_files(days_archive, tmp_path):
    raw, _ = days_archive
    out = tmp_path / "out"
    rollup(str(raw), out, TZ)
    before = pl.read_parquet(out / AUTHORS_FILE)
    # Back-filled tweets of 2 March (local), by an author already counted that day and by a new one.
    known = (
        pl.read_parquet(raw / "day=2022-03-02" / "part-0.parquet")
        .filter(pl.col("author_id").is_not_null())
        .row(0, named=True)
    )
    late = pl.DataFrame(
        {
            "created_at": [utc(2022, 3, 2, 10), utc(2022, 3, 2, 11)],
            "party": [known["party"]] * 2,
            "hashtag": [known["hashtag"]] * 2,
            "author_id": [known["author_id"], "999"],
        }
    )
    late.write_csv(raw / "backfill.csv")
    done = rollup(str(raw), out, TZ)
    assert (done.read, done.days) == (3, 1)  # the late file and both files that hold the local 2nd
    assert outputs(out) == full_run(raw, tmp_path)
    after = pl.read_parquet(out / AUTHORS_FILE)
    key = (pl.col("date") == date(2022, 3, 2)) & (pl.col("party") == known["party"])
    key &= pl.col("hashtag").str.to_lowercase() == known["hashtag"].lstrip("#").lower()
    # Exact across files: the known author is not counted twice, the new one is counted once.
    assert after.filter(key)["authors"].item() == before.filter(key)["authors"].item() + 1
    assert after.filter(~key).equals(before.filter(~key))


def test_any_sequence_of_runs_equals_one_full_run(days_archive, tmp_path):
    raw, _ = days_archive
    out = tmp_path / "out"
    shutil.move(raw / "day=2022-03-08", tmp_path / "held")
    rollup(str(raw), out, TZ)
    shutil.move(tmp_path / "held", raw / "day=2022-03-08")  # new
    rollup(str(raw), out, TZ)
    shutil.rmtree(raw / "day=2022-03-01")  # removed
    rollup(str(raw), out, TZ)
    changed = raw / "day=2022-03-06" / "part-0.parquet"
    pl.read_parquet(changed).head(10).write_parquet(changed)  # changed
    bump(changed)
    rollup(str(raw), out, TZ)
    assert outputs(out) == full_run(raw, tmp_path)
    assert rollup(str(raw), out, TZ).read == 0  # nothing new: nothing read, nothing rewritten but the same bytes
    assert outputs(out) == full_run(raw, tmp_path)


def test_another_time_zone_recomputes_everything(days_archive, tmp_path):
    raw, _ = days_archive
    out = tmp_path / "out"
    rollup(str(raw), out, TZ)
    done = rollup(str(raw), out, "UTC")
    assert done.read == 8
    fresh = tmp_path / "utc"
    rollup(str(raw), fresh, "UTC")
    assert outputs(out) == outputs(fresh)


# -- an interrupted run ----------------------------------------------------------------------------


def test_an_interrupted_run_leaves_the_previous_rollup_and_manifest_intact(days_archive, tmp_path):
    raw, _ = days_archive
    out = tmp_path / "out"
    rollup(str(raw), out, TZ)
    previous = {name: (out / name).read_bytes() for name in (*OUTPUTS, MANIFEST)}
    shutil.rmtree(raw / "day=2022-03-03")  # something to do
    batches = []

    def interrupted(files, days, tz, window=None):
        batches.append(days)
        if len(batches) == 2:
            raise KeyboardInterrupt  # Ctrl-C, or SIGTERM (the CLI turns it into an exit), mid-run
        return polars_engine(files, days, tz, window)

    full = rollup(str(raw), tmp_path / "full", TZ)
    assert full.days > 2
    with pytest.raises(KeyboardInterrupt):
        rollup(str(raw), out, TZ, interrupted, batch_rows=1)  # one day per batch
    assert {name: (out / name).read_bytes() for name in previous} == previous
    # No temporary file: the tables, the manifest, and the store's lock and record of saves.
    assert sorted(p.name for p in out.iterdir()) == sorted([*OUTPUTS, MANIFEST, ".lock", ".saves.json"])
    rollup(str(raw), out, TZ)
    assert outputs(out) == outputs(tmp_path / "full")


def test_a_run_stopped_between_its_renames_is_rebuilt_from_scratch(days_archive, tmp_path, monkeypatch):
    raw, _ = days_archive
    out = tmp_path / "out"
    rollup(str(raw), out, TZ)
    shutil.rmtree(raw / "day=2022-03-03")
    real = rollup_manifest.atomic_write

    def dies_before_the_manifest(target, content):
        if target.name == MANIFEST and b'"writing"' not in content:  # the final one, after the tables
            raise OSError(28, "No space left on device")
        real(target, content)

    monkeypatch.setattr(rollup_manifest, "atomic_write", dies_before_the_manifest)
    with pytest.raises(PulseError, match="No space left on device"):
        rollup(str(raw), out, TZ)
    monkeypatch.setattr(rollup_manifest, "atomic_write", real)
    # The tables are new and the manifest old: their digests disagree, so the next run starts afresh.
    assert rollup(str(raw), out, TZ).read == 7
    assert outputs(out) == full_run(raw, tmp_path)


# -- bad input ----------------------------------------------------------------------------------------


def test_a_bad_time_is_reported_with_file_line_column_and_value_and_nothing_changes(hand_archive, tmp_path):
    out = tmp_path / "out"
    rollup(str(hand_archive), out, TZ)
    before = {name: (out / name).read_bytes() for name in (*OUTPUTS, MANIFEST)}
    late = hand_archive / "day=2022-04-22"
    late.mkdir()
    (late / "part-0.csv").write_text(
        "created_at,party,hashtag,author_id\n2022-04-22T01:00:00Z,PTI,x,u1\n'; DROP TABLE tweets;--,PTI,x,u1\n"
    )
    with pytest.raises(ValidationError) as caught:
        rollup(str(hand_archive), out, TZ)
    report = str(caught.value)
    assert "day=2022-04-22/part-0.csv, line 3, column 'created_at': value \"'; DROP TABLE tweets;--\"" in report
    assert {name: (out / name).read_bytes() for name in before} == before


def test_a_blank_party_is_reported_from_the_aggregation(hand_archive, tmp_path):
    second_day().with_columns(pl.Series("party", ["PTI", "   "])).write_parquet(
        hand_archive / "day=2022-04-21" / "part-0.parquet"
    )
    with pytest.raises(ValidationError, match=r"day=2022-04-21/part-0.parquet, row 2, column 'party'"):
        rollup(str(hand_archive), tmp_path / "out", TZ)
    assert not (tmp_path / "out" / COUNTS_FILE).exists()


def test_a_file_without_a_required_column_is_named(hand_archive, tmp_path):
    second_day().drop("hashtag").write_parquet(hand_archive / "day=2022-04-21" / "part-0.parquet")
    with pytest.raises(ValidationError, match=r"day=2022-04-21/part-0.parquet, column 'hashtag'.*missing required"):
        rollup(str(hand_archive), tmp_path / "out", TZ)


def test_a_path_with_no_raw_files_is_a_clear_error(tmp_path):
    with pytest.raises(PulseError, match="no raw-tweets files"):
        rollup(str(tmp_path / "nothing-*.parquet"), tmp_path / "out", TZ)


def test_a_hand_made_hashtags_file_in_the_directory_is_not_overwritten(hand_archive, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "hashtags.csv").write_text("hashtag,party,period_start,tweets\nx,PTI,2022-04-20T17:00:00Z,1\n")
    with pytest.raises(PulseError, match="move it away"):
        rollup(str(hand_archive), out, TZ)
    assert (out / "hashtags.csv").read_text().endswith("x,PTI,2022-04-20T17:00:00Z,1\n")


# -- inputs, the command, and what it leaves alone -------------------------------------------------


def test_a_glob_a_single_file_and_the_directory_agree(hand_archive, tmp_path, monkeypatch):
    rollup(str(hand_archive / "**" / "*.*"), tmp_path / "glob", TZ)
    rollup(str(hand_archive), tmp_path / "dir", TZ)
    assert outputs(tmp_path / "glob") == outputs(tmp_path / "dir")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    relative = rollup("../raw/day=*/part-0.parquet", tmp_path / "relative", TZ)  # '..' is not a hidden folder
    assert (relative.files, relative.rows) == (1, 2)
    one = rollup(str(hand_archive / "day=2022-04-21" / "part-0.parquet"), tmp_path / "one", TZ)
    assert (one.files, one.rows) == (1, 2)


def test_the_data_directory_keeps_its_other_datasets_and_shows_the_rollup(hand_archive, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("hashtags.csv", "*.py", "*.md"))
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    assert main(["rollup", "--raw", str(hand_archive), "--out", str(data), "--tz", TZ]) == 0
    printed = capsys.readouterr()
    assert printed.out.split() == [str(data / name) for name in (*OUTPUTS, MANIFEST)]
    assert "2 raw files, 2 read, 3 local days recomputed from 7 rows" in printed.err
    assert "checked 1/2 files: day=2022-04-20/part-0.csv, 5 rows" in printed.err  # progress
    assert {name: (data / name).read_bytes() for name in before} == before
    loaded = load_data_dir(data, TZ)
    assert loaded.hashtags.authors_daily["unique_authors"].to_list() == [2, 2, 1]


def test_without_author_ids_there_is_no_authors_table(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    second_day().drop("author_id").write_parquet(raw / "a.parquet")
    rollup(str(raw), tmp_path / "out", TZ)
    assert not (tmp_path / "out" / AUTHORS_FILE).exists()


def test_export_and_a_polars_rollup_import_no_spark_no_x_client_and_no_plotly(hand_archive, tmp_path):
    script = f"""
import sys
from pulse.cli import main
assert main(["export", "--data", {str(BUNDLED)!r}, "--out", {str(tmp_path / "exports")!r}]) == 0
assert main(["rollup", "--raw", {str(hand_archive)!r}, "--out", {str(tmp_path / "out")!r}]) == 0
print(sorted(m for m in sys.modules if m.split(".")[0] in ("pyspark", "py4j", "requests", "plotly", "streamlit")
             or m == "pulse.connectors.x_api"))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_the_hashtags_page_shows_unique_authors_from_the_rollup(hand_archive, tmp_path, monkeypatch, downloads):  # noqa: F811
    from streamlit.testing.v1 import AppTest

    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("hashtags.csv", "*.py", "*.md"))
    rollup(str(hand_archive), data, TZ)
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    at = AppTest.from_file(str(ROOT / "pages" / "2_Hashtags.py"), default_timeout=60).run()
    assert not at.exception
    table = csv_of(at, downloads, "unique_authors").select("hashtag", "party", "date", "unique_authors")
    assert sorted(table.rows(), key=lambda row: row[2]) == [
        ("ImportedHakumatNaManzoor", "PTI", "2022-04-20", "2"),
        ("ImportedHakumatNaManzoor", "PTI", "2022-04-21", "2"),
        ("BilawalBhutto", "PPP", "2022-04-22", "1"),
    ]
    # "Who drives it" from the rollup's author days: no raw tweets in the directory.
    assert any("hashtag_author_days, 6 rows" in c.value for c in at.caption)
    drivers = csv_of(at, downloads, "hashtag_drivers").select("hashtag", "party", "tweets", "authors")
    assert drivers.rows() == [
        ("ImportedHakumatNaManzoor", "PTI", "5", "3"),  # u1 three times (two days), u2, u3
        ("BilawalBhutto", "PPP", "2", "1"),  # u9, and the tweet without an author
    ]


def test_a_hand_edited_authors_table_is_checked_against_the_contract(hand_archive, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(BUNDLED, data, ignore=shutil.ignore_patterns("*.py", "*.md", "raw_tweets.csv"))
    (data / "hashtag_authors.csv").write_text("date,party,hashtag,authors\n2022-04-20,PTI,a,3\n20/04/2022,PTI,b,-1\n")
    with pytest.raises(ValidationError) as caught:
        load_data_dir(data, TZ)
    report = str(caught.value)
    assert "hashtag_authors.csv, line 3, column 'date': value '20/04/2022': not a date (YYYY-MM-DD)" in report
    assert "hashtag_authors.csv, line 3, column 'authors': value '-1': a count cannot be negative" in report


def test_a_new_file_that_changes_the_commonest_spelling_respells_every_day(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    first = pl.DataFrame(
        {
            "created_at": [utc(2022, 4, 1, 12), utc(2022, 4, 1, 13), utc(2022, 4, 1, 14)],
            "party": ["PTI"] * 3,
            "hashtag": ["#ImranKhan", "ImranKhan ", "imrankhan"],
            "author_id": ["1", "2", "3"],
        }
    )
    first.write_parquet(raw / "a.parquet")
    out = tmp_path / "out"
    rollup(str(raw), out, TZ)
    assert pl.read_parquet(out / COUNTS_FILE)["hashtag"].unique().to_list() == ["ImranKhan"]
    first.with_columns(
        pl.Series("created_at", [utc(2022, 4, 9, 12)] * 3), pl.lit("IMRANKHAN").alias("hashtag")
    ).write_parquet(raw / "b.parquet")
    done = rollup(str(raw), out, TZ)
    assert (done.read, done.days) == (1, 1)  # only the new day is read again; the 1st is only respelled
    assert pl.read_parquet(out / COUNTS_FILE)["hashtag"].unique().to_list() == ["IMRANKHAN"]  # 3 rows to 2
    assert pl.read_parquet(out / AUTHORS_FILE)["hashtag"].unique().to_list() == ["IMRANKHAN"]
    assert outputs(out) == full_run(raw, tmp_path)


def test_author_days_are_staged_a_batch_at_a_time_and_equal_one_batch(days_archive, tmp_path, monkeypatch):
    """hashtag_author_days is written batch by batch to a staging folder in DIR and moved into place from there:
    memory holds one batch's author days, not the archive's; the table is the one a single batch gives, and
    neither the staging folder nor an interrupted run's leftovers remain."""
    raw, _ = days_archive
    whole = tmp_path / "whole"
    rollup(str(raw), whole, TZ)  # every day in one batch
    out = tmp_path / "batched"
    (out / ".rollup-staging").mkdir(parents=True)
    (out / ".rollup-staging" / "author-days-00000.parquet").write_bytes(b"an interrupted run's part")
    seen = {}
    write_outputs = rollup_manifest.write_outputs

    def watched(store, written, manifest, expected):
        seen["staged"] = sorted(p.name for p in (out / ".rollup-staging").iterdir())
        seen["author_days"] = written[AUTHOR_DAYS_FILE]
        return write_outputs(store, written, manifest, expected)

    monkeypatch.setattr("pulse.rollup.write_outputs", watched)
    rollup(str(raw), out, TZ, batch_rows=1)  # one day per batch
    days = len(pl.read_parquet(whole / AUTHOR_DAYS_FILE)["date"].unique())
    parts = [f"author-days-{i:05d}.parquet" for i in range(days)]
    assert seen["staged"] == sorted([*parts, AUTHOR_DAYS_FILE])  # the old part is gone, one per day (batch)
    assert seen["author_days"] == out / ".rollup-staging" / AUTHOR_DAYS_FILE  # a file, not bytes in memory
    assert_frame_equal(pl.read_parquet(out / AUTHOR_DAYS_FILE), pl.read_parquet(whole / AUTHOR_DAYS_FILE))
    assert not (out / ".rollup-staging").exists()
    assert (out / AUTHOR_DAYS_FILE).stat().st_mode & 0o777 == 0o666 & ~os.umask(os.umask(0o022))
