"""The rollup under attack (issue 25): what it may overwrite, what it reads, what it says, and how much it holds."""

import json
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.cli import main
from pulse.data import ingest
from pulse.data.load import load_hashtags
from pulse.data.store import MANIFEST, Store
from pulse.errors import PulseError, ValidationError
from pulse.rollup import AUTHOR_DAYS_FILE, AUTHORS_FILE, COUNTS_FILE, polars_engine, rollup
from pulse.synth import generate
from tests.conftest import utc
from tests.test_rollup import OUTPUTS, TZ, hand_made, outputs

NOT_OURS = "was not written by the rollup"


@pytest.fixture
def hand_archive(tmp_path):
    return hand_made(tmp_path / "raw")


def cli(*args: str) -> int:
    return main(["rollup", *args, "--tz", TZ])


# -- 10: a dataset the rollup did not write is never replaced; its own are replaced through the store ----------


def test_a_raw_tweets_hashtags_parquet_from_generate_is_refused_and_kept(hand_archive, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["generate", "--rows", "500", "--out", str(data)]) == 0
    before = (data / COUNTS_FILE).read_bytes()
    assert "author_id" in pl.read_parquet(data / COUNTS_FILE).columns  # 500 raw tweets, not counts
    assert cli("--raw", str(hand_archive), "--out", str(data)) == 2
    error = capsys.readouterr().err
    assert f"error: hashtags.parquet in {data} {NOT_OURS}" in error and "nothing was written" in error
    assert (data / COUNTS_FILE).read_bytes() == before
    assert not (data / MANIFEST).exists() and not (data / AUTHORS_FILE).exists()


def test_the_rollup_replaces_its_own_tables_through_the_store_with_history(hand_archive, tmp_path):
    out = tmp_path / "out"
    rollup(str(hand_archive), out, TZ)
    first = outputs(out)
    (hand_archive / "day=2022-04-21" / "part-0.parquet").unlink()
    rollup(str(hand_archive), out, TZ)
    store = Store(out)
    for name, content in first.items():
        dataset = name.removesuffix(".parquet")
        assert [entry.path.read_bytes() for entry in store.history(dataset)] == [content]
        assert store.last_saved(dataset) is not None
    store.undo("hashtags")
    assert (out / COUNTS_FILE).read_bytes() == first[COUNTS_FILE]


# -- 11: the watcher's counts in the same directory are never wiped ---------------------------------------------


def watcher_merges_an_hour(data) -> pl.DataFrame:
    """What `pulse watch` does with a cycle's counts (pulse.watch.runner): merge them into hashtags."""
    counts = pl.DataFrame(
        {"hashtag": ["LiveTag"], "party": ["PTI"], "period_start": [utc(2022, 4, 23, 10)], "tweets": [167]}
    )
    ingest.merge(Store(data), ingest.inspect_frame(counts, "hashtags", "X API tweet counts"), TZ)
    return counts


def test_a_rollup_refuses_a_directory_whose_counts_the_watcher_merged(hand_archive, tmp_path, capsys):
    data = tmp_path / "data"
    assert cli("--raw", str(hand_archive), "--out", str(data)) == 0
    watcher_merges_an_hour(data)
    merged = (data / COUNTS_FILE).read_bytes()
    bump = hand_archive / "day=2022-04-20" / "part-0.csv"
    bump.write_text(bump.read_text() + "2022-04-20T17:30:00Z,PTI,#New,u7\n")
    assert cli("--raw", str(hand_archive), "--out", str(data)) == 2
    assert NOT_OURS in capsys.readouterr().err
    assert (data / COUNTS_FILE).read_bytes() == merged
    assert "LiveTag" in pl.read_parquet(data / COUNTS_FILE)["hashtag"].to_list()


def test_counts_the_watcher_merges_while_a_rollup_runs_are_kept(hand_archive, tmp_path):
    data = tmp_path / "data"
    rollup(str(hand_archive), data, TZ)
    (hand_archive / "day=2022-04-21" / "part-0.parquet").unlink()  # something to do

    def meanwhile(files, days, tz):
        watcher_merges_an_hour(data)  # after the run's first check, before it writes
        return polars_engine(files, days, tz)

    with pytest.raises(PulseError, match=NOT_OURS):
        rollup(str(hand_archive), data, TZ, meanwhile)
    assert "LiveTag" in pl.read_parquet(data / COUNTS_FILE)["hashtag"].to_list()


def test_the_documented_war_room_layout_keeps_both_feeds(hand_archive, tmp_path):
    """README: watch into warroom/, rollup into archive/, the archive's hours merged on the war room's Data page."""
    warroom, archive_dir = tmp_path / "warroom", tmp_path / "archive"
    live = pl.DataFrame(
        {
            "hashtag": ["ImportedHakumatNaManzoor", "LiveTag"],
            "party": ["PTI", "PTI"],
            "period_start": [utc(2022, 4, 20, 17), utc(2022, 4, 23, 10)],  # the first hour the archive holds too
            "tweets": [1, 167],
        }
    )
    ingest.merge(Store(warroom), ingest.inspect_frame(live, "hashtags", "X API tweet counts"), TZ)
    rollup(str(hand_archive), archive_dir, TZ)
    counts = (archive_dir / COUNTS_FILE).read_bytes()
    ingest.merge(Store(warroom), ingest.inspect(counts, COUNTS_FILE, "hashtags"), TZ)
    merged = ingest.load_dataset(Store(warroom), "hashtags")[0]
    assert merged.height == 7  # the archive's 6 hours and the watcher's later one
    hour = merged.filter(pl.col("period_start") == utc(2022, 4, 20, 17), pl.col("party") == "PTI")
    assert hour["tweets"].to_list() == [2]  # the archive's complete count replaces the watcher's
    assert merged.filter(pl.col("hashtag") == "LiveTag")["tweets"].to_list() == [167]
    with pytest.raises(PulseError, match=NOT_OURS):
        rollup(str(hand_archive), warroom, TZ)  # and the rollup never writes into the war room


# -- 12: a Parquet bomb is refused by the row budget; a day too large for a batch is read by hours --------------


def test_a_file_over_the_raw_tweets_budget_is_refused_before_it_is_read(hand_archive, tmp_path, monkeypatch):
    bomb = pl.DataFrame(
        {
            "created_at": [utc(2022, 4, 21, 4)] * 5_000,
            "party": ["PTI"] * 5_000,
            "hashtag": ["Bomb"] * 5_000,
            "author_id": ["u1"] * 5_000,
        }
    )
    bomb.write_parquet(hand_archive / "bomb.parquet")  # a few kB of 5,000 rows of one day
    monkeypatch.setenv("PULSE_MAX_RAW_TWEETS", "1000")
    with pytest.raises(ValidationError) as refused:
        rollup(str(hand_archive), tmp_path / "out", TZ)
    assert str(refused.value).splitlines()[1] == (
        "- bomb.parquet: too large: 5,000 rows, above the limit of 1,000 rows one file may have; split the file, "
        "or raise PULSE_MAX_RAW_TWEETS if the server has the memory"
    )
    assert not (tmp_path / "out" / COUNTS_FILE).exists()


def test_a_day_too_large_for_one_batch_is_read_a_few_hours_at_a_time(tmp_path):
    tweets = generate(100_000, seed=3)["hashtags"]
    tweets = tweets.filter(pl.col("created_at").is_between(utc(2022, 3, 9, 19), utc(2022, 3, 10, 19), closed="left"))
    tweets.write_parquet(tmp_path / "day.parquet")  # one local day in Pakistan
    windows, largest = [], []

    def engine(files, days, tz, window=None):
        windows.append(window)
        rolled = polars_engine(files, days, tz, window)
        largest.append(rolled.rows)
        return rolled

    rollup(str(tmp_path / "day.parquet"), tmp_path / "whole", TZ)
    rollup(str(tmp_path / "day.parquet"), tmp_path / "sliced", TZ, engine, batch_rows=tweets.height // 5)
    assert None not in windows and len(windows) >= 5
    assert max(largest) < tweets.height // 2  # never the whole day at once
    for name in OUTPUTS:
        whole, sliced = pl.read_parquet(tmp_path / "whole" / name), pl.read_parquet(tmp_path / "sliced" / name)
        assert_frame_equal(sliced, whole)
        assert whole.height > 20


# -- 14: no link out of the raw directory is followed, and no message carries a file's line ---------------------

PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"


def test_a_link_out_of_the_raw_directory_is_refused_and_never_echoed(hand_archive, tmp_path, capsys):
    secret = tmp_path / "elsewhere" / "passwd"
    secret.parent.mkdir()
    secret.write_text(PASSWD)
    (hand_archive / "users.csv").symlink_to(secret)
    assert cli("--raw", str(hand_archive), "--out", str(tmp_path / "out")) == 2
    error = capsys.readouterr().err
    assert error == (
        f"error: 'users.csv' is a link to a file outside {hand_archive}: the rollup does not follow links out of "
        "the raw directory; copy the file in, or remove the link\n"
    )
    assert not (tmp_path / "out" / COUNTS_FILE).exists()


def test_a_foreign_file_inside_the_raw_directory_is_named_by_a_short_escaped_excerpt(hand_archive, tmp_path):
    header = "root:x:0:0:root:/root:/bin/bash\x1b[2J" + "x" * 300
    (hand_archive / "other.csv").write_text(f"{header}\nsecond line\n")
    with pytest.raises(ValidationError) as refused:
        rollup(str(hand_archive), tmp_path / "out", TZ)
    report = str(refused.value)
    assert (
        "other.csv, column 'created_at': missing required column (found 1 column(s): 'root:x:0:0:root:/root:/b…'"
        in (report)
    )
    assert "\x1b" not in report and "/bin/bash" not in report and "second line" not in report


def test_a_long_value_is_quoted_as_a_short_excerpt(hand_archive, tmp_path):
    (hand_archive / "late.csv").write_text(
        "created_at,party,hashtag,author_id\n" + "2022-04-22T01:00:00Z" + "\x07" * 3 + "A" * 5_000 + ",PTI,x,u1\n"
    )
    with pytest.raises(ValidationError) as refused:
        rollup(str(hand_archive), tmp_path / "out", TZ)
    line = next(line for line in str(refused.value).splitlines() if "late.csv" in line)
    assert (
        "late.csv, line 2, column 'created_at': value '2022-04-22T01:00:00Z\\x07\\x07\\x07AAAAAAAAAAAAAAAAA…'" in line
    )
    assert len(line) < 300


# -- tracebacks: a --out that cannot be written, a damaged manifest ---------------------------------------------


def test_an_out_that_cannot_be_written_is_a_clear_error(hand_archive, tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a directory")
    assert cli("--raw", str(hand_archive), "--out", str(a_file)) == 2
    assert capsys.readouterr().err == f"error: cannot write the rollup into {a_file}: it is not a directory\n"
    assert cli("--raw", str(hand_archive), "--out", str(a_file / "inside")) == 2
    assert capsys.readouterr().err == f"error: cannot write the rollup into {a_file / 'inside'}: Not a directory\n"
    assert a_file.read_text() == "not a directory"


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("rows", "many", "files[0].rows is not a whole number"),
        ("size", -1, "files[0].size is not a whole number"),
        ("first_day", 20220420, "files[0].first_day is not a date (YYYY-MM-DD) or null"),
        ("spellings", ["x"], "files[0].spellings is not a table of hashtag spellings and counts"),
        ("authors", "yes", "files[0].authors is not true or false"),
        ("path", None, "files[0].path is not text"),
    ],
)
def test_a_manifest_whose_file_entries_have_wrong_types_is_a_clear_error(
    hand_archive, tmp_path, capsys, field, value, said
):
    out = tmp_path / "out"
    rollup(str(hand_archive), out, TZ)
    before = outputs(out)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["files"][0][field] = value
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert cli("--raw", str(hand_archive), "--out", str(out)) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"error: {out / MANIFEST} is damaged ({said}): the rollup cannot tell what it read")
    assert outputs(out) == before


def test_a_manifest_that_names_a_file_outside_its_tables_is_damaged(hand_archive, tmp_path, capsys):
    out = tmp_path / "out"
    rollup(str(hand_archive), out, TZ)
    manifest = json.loads((out / MANIFEST).read_text())
    manifest["outputs"]["../../../etc/passwd"] = "0" * 64
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert cli("--raw", str(hand_archive), "--out", str(out)) == 2
    assert "is damaged (an output that is not one of its tables and a digest)" in capsys.readouterr().err


# -- smaller: a blank author id is no author, in every table -----------------------------------------------------

BLANK_AUTHORS = (
    "created_at,party,hashtag,author_id,tweet_id\n"
    "2022-04-20T05:00:00Z,PTI,Tag,u1,1\n"
    '2022-04-20T05:10:00Z,PTI,Tag,"",2\n'
    '2022-04-20T05:20:00Z,PTI,Tag,"   ",3\n'
)


def test_a_blank_author_id_counts_as_no_author_everywhere(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.csv").write_text(BLANK_AUTHORS)
    rollup(str(raw), tmp_path / "out", TZ)
    assert pl.read_parquet(tmp_path / "out" / AUTHORS_FILE)["authors"].to_list() == [1]
    days = pl.read_parquet(tmp_path / "out" / AUTHOR_DAYS_FILE)
    assert days.select("author_id", "tweets").rows() == [(None, 2), ("u1", 1)]
    assert load_hashtags(raw / "a.csv", TZ).authors_daily["unique_authors"].to_list() == [1]  # the loader agrees
    assert days["date"].to_list() == [date(2022, 4, 20)] * 2
