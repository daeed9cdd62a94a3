"""History is bounded (the last N versions per dataset) and a crashed save's temp files do not stay."""

from pathlib import Path

import polars as pl

from pulse.data.store import Store


def party(i: int) -> pl.DataFrame:
    return pl.DataFrame({"party": [f"P{i}"], "name": [f"Party {i}"], "color": ["#112233"]})


def saved_parties(store: Store) -> list[str]:
    """The party each history version holds, newest first."""
    return [pl.read_csv(e.path)["party"][0] for e in store.history("parties")]


def test_history_keeps_the_last_twenty_versions_by_default(tmp_path):
    store = Store(tmp_path)
    for i in range(23):
        store.save("parties", party(i))
    # 23 saves replaced 22 versions (P0..P21); the 20 newest of them are kept.
    assert saved_parties(store) == [f"P{i}" for i in range(21, 1, -1)]
    assert len(list((tmp_path / ".history" / "parties").iterdir())) == 20


def test_a_setting_changes_how_many_versions_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_HISTORY_VERSIONS", "2")
    store = Store(tmp_path)
    for i in range(5):
        store.save("parties", party(i))
    assert saved_parties(store) == ["P3", "P2"]
    store.undo("parties")
    assert pl.read_csv(tmp_path / "parties.csv")["party"].to_list() == ["P3"]


def test_temp_files_of_a_crashed_save_are_removed_at_the_next_save(tmp_path):
    store = Store(tmp_path)
    store.save("parties", party(0))
    store.save("parties", party(1))
    history = tmp_path / ".history" / "parties"
    # What a save killed between mkstemp and rename leaves behind, in the store and in history.
    crashed = [
        tmp_path / ".parties.csv.k3j_x9a1.tmp",
        tmp_path / ".hashtags.parquet.abcd1234.tmp",
        tmp_path / "..saves.json.q1w2e3r4.tmp",  # the store's record of saves, written like a dataset
        history / f".{store.history('parties')[0].path.name}.zz99yy88.tmp",
    ]
    others = [tmp_path / ".notes.tmp", tmp_path / "parties.csv.tmp", history / "readme.txt"]
    for path in [*crashed, *others]:
        path.write_bytes(b"half a file")
    store.save("spaces", pl.DataFrame({"space_id": ["s1"]}))
    assert [p for p in crashed if p.exists()] == []
    assert all(p.read_bytes() == b"half a file" for p in others)  # not ours: left alone
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted(
        [".lock", ".notes.tmp", ".saves.json", "audit.csv", "parties.csv", "parties.csv.tmp", "spaces.csv"]
    )


def test_the_data_page_says_how_many_versions_are_kept(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PULSE_HISTORY_VERSIONS", "7")
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "5_Data.py"), default_timeout=60).run()
    assert any("the last 7 versions of each dataset are kept" in c.value for c in at.caption)
