"""pulse.data.store: atomic saves with history, merges under the lock, undo, samples."""

import multiprocessing
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from pulse.data.store import MergeSummary, Store, upsert
from pulse.errors import PulseError

KV = {"key": pl.String, "value": pl.Int64}


def read_kv(path: Path) -> pl.DataFrame:
    """What the loader does for a test dataset: read it into the schema of the new rows."""
    return pl.read_csv(path, schema=KV) if path.suffix == ".csv" else pl.read_parquet(path)


def kv(keys: list[str], values: list[int | None]) -> pl.DataFrame:
    return pl.DataFrame({"key": keys, "value": values}, schema=KV)


def stray_files(root: Path) -> list[str]:
    """Temp files left anywhere under the store."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.tmp"))


def test_save_creates_the_file_and_history(tmp_path):
    store = Store(tmp_path)
    first = store.save("parties", pl.DataFrame({"party": ["A"], "name": ["Alpha"], "color": ["#112233"]}))
    assert first == tmp_path / "parties.csv"
    assert first.read_text() == "party,name,color\nA,Alpha,#112233\n"
    assert store.history("parties") == []  # nothing was replaced yet

    store.save("parties", pl.DataFrame({"party": ["B"], "name": ["Beta"], "color": ["#445566"]}))
    assert first.read_text() == "party,name,color\nB,Beta,#445566\n"
    (entry,) = store.history("parties")
    assert entry.path.parent == tmp_path / ".history" / "parties"
    assert entry.path.name.endswith("Z-parties.csv")
    assert entry.path.read_text() == "party,name,color\nA,Alpha,#112233\n"
    assert entry.size == len("party,name,color\nA,Alpha,#112233\n")
    assert abs(entry.saved_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert stray_files(tmp_path) == []


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_saved_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        store = Store(tmp_path)
        store.save("parties", pl.DataFrame({"party": ["A"], "name": ["Alpha"], "color": ["#112233"]}))
        saved = store.save("parties", pl.DataFrame({"party": ["B"], "name": ["Beta"], "color": ["#445566"]}), "parquet")
        samples = store.append_samples("sp-1", datetime(2022, 4, 20, tzinfo=UTC), 5)
    finally:
        os.umask(previous)
    (history,) = store.history("parties")
    assert [f.stat().st_mode & 0o777 for f in (saved, samples, history.path)] == [mode, mode, mode]


def test_csv_times_are_iso_utc(tmp_path):
    frame = pl.DataFrame(
        {
            "space_id": ["s1", "s2"],
            "at": [datetime(2024, 2, 1, 17, 0, tzinfo=UTC), datetime(2024, 2, 1, 17, 0, 5, 250000, tzinfo=UTC)],
            "day": [datetime(2024, 2, 1).date(), None],
        },
        schema={"space_id": pl.String, "at": pl.Datetime("us", "UTC"), "day": pl.Date},
    )
    # A zoned column in another zone is written as the same instant in UTC.
    karachi = frame.with_columns(pl.col("at").dt.convert_time_zone("Asia/Karachi"))
    for written in (frame, karachi):
        path = Store(tmp_path).save("space_samples", written)
        assert path.read_text() == (
            "space_id,at,day\ns1,2024-02-01T17:00:00.000000Z,2024-02-01\ns2,2024-02-01T17:00:05.250000Z,\n"
        )


def test_crash_mid_write_keeps_the_old_file(tmp_path, monkeypatch):
    store = Store(tmp_path)
    path = store.save("rallies", kv(["r1"], [1]))
    before, saved_at = path.read_bytes(), store.last_saved("rallies")
    real_replace = os.replace

    def crash_on_dataset(src, dst):
        if Path(dst) == path:
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_dataset)
    with pytest.raises(PulseError, match="could not save rallies.csv: No space left on device"):
        store.save("rallies", kv(["r1", "r2"], [1, 2]))
    assert path.read_bytes() == before
    assert stray_files(tmp_path) == []
    # The old file was not replaced, so there is nothing to undo to.
    assert store.history("rallies") == []
    # The first save is in the audit; the failed one is not.
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        ".lock",
        ".saves.json",
        "audit.csv",
        "rallies.csv",
    ]
    assert len((tmp_path / "audit.csv").read_text().splitlines()) == 2
    assert store.last_saved("rallies") == saved_at  # a failed save is not recorded as one


def test_undo_restores_the_exact_previous_bytes(tmp_path):
    store = Store(tmp_path)
    path = tmp_path / "hashtags.csv"
    # Written by hand, in a way the store itself would not write it: undo must bring back these bytes.
    original = b"\xef\xbb\xbfhashtag,party,period_start,tweets\r\n#Vote,A,2024-02-01 17:00,3\r\n"
    path.write_bytes(original)
    store.save("hashtags", kv(["x"], [1]))
    assert path.read_bytes() != original
    assert store.undo("hashtags") == path
    assert path.read_bytes() == original
    assert store.history("hashtags") == []


def test_undo_twice_walks_back_twice(tmp_path):
    store = Store(tmp_path)
    contents = []
    for n in range(3):
        store.save("spaces", kv(["s"], [n]))
        contents.append((tmp_path / "spaces.csv").read_bytes())
    assert len(store.history("spaces")) == 2
    store.undo("spaces")
    assert (tmp_path / "spaces.csv").read_bytes() == contents[1]
    store.undo("spaces")
    assert (tmp_path / "spaces.csv").read_bytes() == contents[0]
    with pytest.raises(PulseError, match="nothing to undo for spaces"):
        store.undo("spaces")
    assert (tmp_path / "spaces.csv").read_bytes() == contents[0]


def test_undo_with_no_history(tmp_path):
    with pytest.raises(PulseError, match="nothing to undo for rallies"):
        Store(tmp_path).undo("rallies")


def test_history_is_newest_first(tmp_path):
    store = Store(tmp_path)
    for n in range(4):
        store.save("parties", kv(["p"], [n]))
    entries = store.history("parties")
    assert [e.path.read_text().splitlines()[1] for e in entries] == ["p,2", "p,1", "p,0"]
    assert [e.saved_at for e in entries] == sorted((e.saved_at for e in entries), reverse=True)
    assert len({e.saved_at for e in entries}) == 3


def test_merge_counts_added_updated_unchanged(tmp_path):
    store = Store(tmp_path)
    store.save("spaces", kv(["a", "b", "c", "d"], [1, 2, None, 4]))
    new = kv(["b", "c", "d", "e", "f"], [2, None, 40, 5, None])
    summary = store.merge("spaces", new, ["key"], read_kv)
    # b and c are identical (an empty cell matches an empty cell), d changed, e and f are new.
    assert summary == MergeSummary(added=2, updated=1, unchanged=2)
    # Replaced rows stay where they were; new keys are appended in the order given.
    assert read_kv(tmp_path / "spaces.csv").equals(kv(["a", "b", "c", "d", "e", "f"], [1, 2, None, 40, 5, None]))
    assert len(store.history("spaces")) == 1


def test_merge_that_changes_nothing_writes_nothing(tmp_path):
    store = Store(tmp_path)
    store.save("spaces", kv(["a"], [1]))
    version = store.version("spaces")
    assert store.merge("spaces", kv(["a"], [1]), ["key"], read_kv) == MergeSummary(0, 0, 1)
    assert store.version("spaces") == version
    assert store.history("spaces") == []


def test_merge_into_a_new_dataset(tmp_path):
    store = Store(tmp_path)
    assert store.merge("rallies", kv(["a", "b"], [1, 2]), ["key"], read_kv) == MergeSummary(2, 0, 0)
    assert read_kv(tmp_path / "rallies.csv").equals(kv(["a", "b"], [1, 2]))


def test_merge_with_a_null_to_value_change_is_an_update():
    merged, summary = upsert(kv(["a", "b"], [None, 1]), kv(["a", "b"], [7, None]), ["key"])
    assert summary == MergeSummary(added=0, updated=2, unchanged=0)
    assert merged.equals(kv(["a", "b"], [7, None]))


def test_merge_rejects_repeated_new_keys():
    with pytest.raises(PulseError, match="repeat a key"):
        upsert(kv(["a"], [1]), kv(["b", "b"], [1, 2]), ["key"])


def test_merge_rejects_other_columns():
    with pytest.raises(PulseError, match="do not have the columns"):
        upsert(kv(["a"], [1]), pl.DataFrame({"key": ["a"], "other": [1]}), ["key"])


def _merge_many(root: str, worker: int, count: int) -> None:
    store = Store(Path(root))
    for n in range(count):
        store.merge("spaces", kv([f"w{worker}-{n}"], [n]), ["key"], read_kv)


def test_concurrent_merges_from_two_processes_all_land(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_HISTORY_VERSIONS", "100")  # every version kept, so history counts every save
    count = 15
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_merge_many, args=(str(tmp_path), w, count)) for w in range(2)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0]
    final = read_kv(tmp_path / "spaces.csv")
    assert final.height == 2 * count
    assert set(final["key"]) == {f"w{w}-{n}" for w in range(2) for n in range(count)}
    assert len(Store(tmp_path).history("spaces")) == 2 * count - 1
    assert stray_files(tmp_path) == []


def test_append_samples(tmp_path):
    store = Store(tmp_path)
    store.append_samples("1DXxyRYNejbKM", datetime(2024, 2, 1, 17, 0, tzinfo=UTC), 10)
    store.append_samples("1DXxyRYNejbKM", datetime(2024, 2, 1, 22, 1, 30, tzinfo=UTC).astimezone(), 30)
    store.append_samples("1DXxyRYNejbKM", datetime(2024, 2, 1, 17, 2), 0)  # naive = UTC
    assert (tmp_path / "space_samples.csv").read_text() == (
        "space_id,at,participants\n"
        "1DXxyRYNejbKM,2024-02-01T17:00:00.000000Z,10\n"
        "1DXxyRYNejbKM,2024-02-01T22:01:30.000000Z,30\n"
        "1DXxyRYNejbKM,2024-02-01T17:02:00.000000Z,0\n"
    )
    assert store.history("space_samples") == []
    assert stray_files(tmp_path) == []


def test_append_samples_keeps_existing_lines_as_written(tmp_path):
    (tmp_path / "space_samples.csv").write_text("space_id,at,participants\ns0,2024-02-01T16:59:00Z,4")
    Store(tmp_path).append_samples("s0", datetime(2024, 2, 1, 17, 0, tzinfo=UTC), 5)
    assert (tmp_path / "space_samples.csv").read_text() == (
        "space_id,at,participants\ns0,2024-02-01T16:59:00Z,4\ns0,2024-02-01T17:00:00.000000Z,5\n"
    )


def test_append_samples_refuses_a_foreign_header(tmp_path):
    (tmp_path / "space_samples.csv").write_text("id,time,n\nx,2024-02-01,1\n")
    with pytest.raises(PulseError, match="expected 'space_id,at,participants'"):
        Store(tmp_path).append_samples("s0", datetime(2024, 2, 1, tzinfo=UTC), 5)


def test_format_switch_csv_to_parquet_and_back_by_undo(tmp_path):
    store = Store(tmp_path)
    store.save("rallies", kv(["a"], [1]))
    csv_bytes = (tmp_path / "rallies.csv").read_bytes()
    path = store.save("rallies", kv(["a", "b"], [1, 2]), fmt="parquet")
    assert path == tmp_path / "rallies.parquet"
    assert not (tmp_path / "rallies.csv").exists()
    assert pl.read_parquet(path).equals(kv(["a", "b"], [1, 2]))
    assert store.path("rallies") == path
    # Later saves keep the format the dataset has now.
    assert store.save("rallies", kv(["c"], [3])) == path
    store.undo("rallies")
    store.undo("rallies")
    assert store.path("rallies") == tmp_path / "rallies.csv"
    assert (tmp_path / "rallies.csv").read_bytes() == csv_bytes
    assert not path.exists()


def test_two_files_for_one_dataset_is_an_error(tmp_path):
    (tmp_path / "spaces.csv").write_text("a\n1\n")
    (tmp_path / "spaces.parquet").write_bytes(b"PAR1")
    with pytest.raises(PulseError, match="both spaces.csv and spaces.parquet exist"):
        Store(tmp_path).path("spaces")


def test_version_and_fingerprint_change_with_a_save(tmp_path):
    store = Store(tmp_path)
    assert store.version("spaces") == 0
    assert store.fingerprint() == ()
    store.save("spaces", kv(["a"], [1]))
    first = store.fingerprint()
    assert store.version("spaces") == (tmp_path / "spaces.csv").stat().st_mtime_ns
    store.save("spaces", kv(["a", "bb"], [1, 22]))
    assert store.fingerprint() != first
    assert [name for name, _, _ in store.fingerprint()] == ["spaces.csv"]


def test_unknown_dataset_names_are_refused(tmp_path):
    with pytest.raises(PulseError, match="unknown dataset"):
        Store(tmp_path).save("../escape", kv(["a"], [1]))


def test_merge_completes_the_new_rows_with_the_current_ones_under_the_lock(tmp_path):
    store = Store(tmp_path)
    store.save("spaces", kv(["a", "b"], [1, 2]))
    seen = []

    def keep_stored(new: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
        seen.append((store._lock.is_locked, current["key"].to_list()))
        known = dict(current.iter_rows())
        return new.with_columns(pl.col("value").fill_null(pl.col("key").replace_strict(known, default=None)))

    summary = store.merge("spaces", kv(["a", "c"], [None, 3]), ["key"], read_kv, complete=keep_stored)
    assert seen == [(True, ["a", "b"])]
    assert summary == MergeSummary(added=1, updated=0, unchanged=1)
    assert read_kv(tmp_path / "spaces.csv").equals(kv(["a", "b", "c"], [1, 2, 3]))


def test_last_saved_is_the_stores_record_not_the_files_time(tmp_path):
    store = Store(tmp_path)
    assert store.last_saved("parties") is None
    (tmp_path / "parties.csv").write_text("party,name,color\nA,Alpha,#112233\n")  # put there by hand: never saved
    assert store.last_saved("parties") is None
    before = datetime.now(UTC)
    store.save("parties", pl.DataFrame({"party": ["B"], "name": ["Beta"], "color": ["#445566"]}))
    saved = store.last_saved("parties")
    assert before <= saved <= datetime.now(UTC)
    os.utime(tmp_path / "parties.csv", (0, 0))  # a clone or an unzip resets the file's time
    assert store.last_saved("parties") == saved
    store.undo("parties")
    assert store.last_saved("parties") > saved
    assert store.last_saved("spaces") is None
    (tmp_path / ".saves.json").write_text("not json")  # a damaged record is no record, not an error
    assert store.last_saved("parties") is None
