"""The audit trail: every change the store makes is one row, appended under its lock; nothing edits it, and the
history's retention never reaches it. Also `python -m pulse audit`."""

import getpass
import hashlib
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from pulse.cli import main
from pulse.data import audit, ingest
from pulse.data.audit import WATCH, Actor
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.errors import PulseError

DESK = Actor("desk@party.example", "editor")
PARTIES = b"party,name,color\nA,Alpha,#112233\nB,Beta,#445566\n"
# A merge of these: C is new, B changes its colour, A is as stored.
MORE_PARTIES = b"party,name,color\nA,Alpha,#112233\nB,Beta,#000000\nC,Gamma,#FFFFFF\n"


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def trail(root) -> list[dict]:
    """The audit rows in the order they were written."""
    loaded = load_dataset(Store(root), "audit")
    return [] if loaded is None else loaded[0].to_dicts()


def test_replace_merge_undo_are_each_one_row_with_counts_sources_and_versions(tmp_path):
    store = Store(tmp_path, actor=DESK)
    ingest.replace(store, ingest.inspect(PARTIES, "parties.csv", "parties"))
    first_version = sha((tmp_path / "parties.csv").read_bytes())[:16]
    assert (tmp_path / "parties.csv").read_bytes() == PARTIES  # the file is written as uploaded
    assert first_version == sha(PARTIES)[:16]
    summary = ingest.merge(store, ingest.inspect(MORE_PARTIES, "more.csv", "parties", "files.example"), "UTC")
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 1)
    merged_version = sha((tmp_path / "parties.csv").read_bytes())[:16]
    store.undo("parties")

    first, merged, undone = trail(tmp_path)
    assert {k: first[k] for k in first if k != "at"} == {
        "actor": "desk@party.example",
        "role": "editor",
        "action": "replace",
        "dataset": "parties",
        "rows_added": 2,
        "rows_updated": 0,
        "rows_removed": 0,  # there was no file before
        "source": "parties.csv",
        "content_sha256": sha(PARTIES),
        "version_before": None,  # no file: empty
        "version_after": first_version,
    }
    assert {k: merged[k] for k in merged if k != "at"} == {
        "actor": "desk@party.example",
        "role": "editor",
        "action": "merge",
        "dataset": "parties",
        "rows_added": 1,
        "rows_updated": 1,
        "rows_removed": 0,
        "source": "files.example",  # a URL's host, as the Data page passes it
        "content_sha256": sha(MORE_PARTIES),
        "version_before": first_version,
        "version_after": merged_version,
    }
    # The undo put back the replace's version: it can be traced to the row whose version_after it is.
    assert {k: undone[k] for k in undone if k != "at"} == {
        "actor": "desk@party.example",
        "role": "editor",
        "action": "undo",
        "dataset": "parties",
        "rows_added": 2,  # the restored file's rows
        "rows_removed": 3,  # the merged file's rows
        "rows_updated": 0,
        "source": None,
        "content_sha256": None,  # empty for an undo
        "version_before": merged_version,
        "version_after": first_version,
    }
    now = datetime.now(UTC)
    assert all(now - timedelta(minutes=1) < row["at"] <= now for row in (first, merged, undone))
    assert first["at"] <= merged["at"] <= undone["at"]


def test_a_merge_that_changes_nothing_is_no_change(tmp_path):
    store = Store(tmp_path, actor=DESK)
    ingest.replace(store, ingest.inspect(PARTIES, "parties.csv", "parties"))
    ingest.merge(store, ingest.inspect(PARTIES, "parties.csv", "parties"), "UTC")
    assert [row["action"] for row in trail(tmp_path)] == ["replace"]


def test_a_replace_counts_the_rows_it_removed(tmp_path):
    store = Store(tmp_path, actor=DESK)
    ingest.replace(store, ingest.inspect(MORE_PARTIES, "three.csv", "parties"))
    ingest.replace(store, ingest.inspect(PARTIES, "two.csv", "parties"))
    second = trail(tmp_path)[1]
    assert (second["rows_added"], second["rows_removed"], second["source"]) == (2, 3, "two.csv")


def test_without_an_actor_the_user_at_the_shell_is_named(tmp_path):
    ingest.replace(Store(tmp_path), ingest.inspect(PARTIES, "parties.csv", "parties"))
    (row,) = trail(tmp_path)
    assert (row["actor"], row["role"], row["action"]) == (f"cli:{getpass.getuser()}", "cli", "replace")


def test_the_watcher_and_fetch_x_name_themselves_and_x_api(tmp_path):
    frame = pl.DataFrame({"party": ["A"], "name": ["Alpha"], "color": ["#112233"]})
    ingest.merge(Store(tmp_path, actor=WATCH), ingest.inspect_frame(frame, "parties", "X API"), "UTC")
    (row,) = trail(tmp_path)
    assert (row["actor"], row["role"], row["action"], row["source"], row["content_sha256"]) == (
        "watch",
        "watch",
        "watch",
        "x-api",
        None,
    )
    assert (row["rows_added"], row["rows_updated"]) == (1, 0)


def test_tracking_is_recorded_with_the_space(tmp_path):
    Store(tmp_path, actor=DESK).record("track-start", "space_samples", "1DXxyRYNejbKM")
    (row,) = trail(tmp_path)
    assert (row["action"], row["dataset"], row["source"], row["rows_added"]) == (
        "track-start",
        "space_samples",
        "1DXxyRYNejbKM",
        0,
    )


def test_the_audit_only_grows(tmp_path):
    store = Store(tmp_path, actor=DESK)
    ingest.replace(store, ingest.inspect(PARTIES, "parties.csv", "parties"))
    before = (tmp_path / "audit.csv").read_bytes()
    ingest.replace(store, ingest.inspect(MORE_PARTIES, "parties.csv", "parties"))
    after = (tmp_path / "audit.csv").read_bytes()
    assert after.startswith(before) and len(after.splitlines()) == len(before.splitlines()) + 1

    empty = pl.DataFrame(schema=pl.read_csv(tmp_path / "audit.csv").schema)
    for attempt in (
        lambda: store.save("audit", empty),
        lambda: store.merge("audit", empty, ["at"], pl.read_csv),
        lambda: store.undo("audit"),
    ):
        with pytest.raises(PulseError, match="the audit only grows"):
            attempt()
    assert (tmp_path / "audit.csv").read_bytes() == after
    assert not (tmp_path / ".history" / "audit").exists()


def test_retention_never_touches_the_audit(tmp_path, monkeypatch):
    monkeypatch.setenv("PULSE_HISTORY_VERSIONS", "1")
    store = Store(tmp_path, actor=DESK)
    for i in range(5):
        content = PARTIES + f"C{i},Extra,#000000\n".encode()
        ingest.replace(store, ingest.inspect(content, f"v{i}.csv", "parties"))
    assert len(store.history("parties")) == 1  # retention did its job
    assert [row["source"] for row in trail(tmp_path)] == ["v0.csv", "v1.csv", "v2.csv", "v3.csv", "v4.csv"]


def test_read_and_filter():
    at = [datetime(2026, 12, d, 9, tzinfo=UTC) for d in (1, 2, 3)]
    rows = pl.DataFrame(
        {"at": at, "actor": ["a", "b", "a"], "action": ["merge", "undo", "replace"], "dataset": ["x", "x", "y"]}
    )
    newest = audit.read(rows)
    assert newest["at"].to_list() == at[::-1]
    assert audit.read(rows, since=date(2026, 12, 2))["actor"].to_list() == ["a", "b"]
    assert audit.filtered(newest, actors=["a"])["action"].to_list() == ["replace", "merge"]
    assert audit.filtered(newest, actions=["undo"], datasets=["x"])["actor"].to_list() == ["b"]
    assert audit.filtered(newest, start=date(2026, 12, 2), end=date(2026, 12, 2))["action"].to_list() == ["undo"]


def test_the_cli_prints_the_trail_newest_first(tmp_path, capsys):
    store = Store(tmp_path, actor=DESK)
    ingest.replace(store, ingest.inspect(PARTIES, "parties.csv", "parties"))
    ingest.merge(store, ingest.inspect(MORE_PARTIES, "more.csv", "parties"), "UTC")

    assert main(["audit", "--data", str(tmp_path), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        "at,actor,role,action,dataset,rows_added,rows_updated,rows_removed,source,content_sha256,"
        "version_before,version_after"
    )
    assert [line.split(",")[3:9] for line in lines[1:]] == [
        ["merge", "parties", "1", "1", "0", "more.csv"],
        ["replace", "parties", "2", "0", "0", "parties.csv"],
    ]
    assert lines[1].endswith(f",{sha(MORE_PARTIES)},{sha(PARTIES)[:16]},{audit.version_of(tmp_path / 'parties.csv')}")

    assert main(["audit", "--data", str(tmp_path)]) == 0
    table = capsys.readouterr().out
    assert "desk@party.example" in table and table.index("more.csv") < table.index("parties.csv")

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    assert main(["audit", "--data", str(tmp_path), "--since", tomorrow]) == 0
    assert capsys.readouterr().out == f"No changes recorded since {tomorrow}.\n"


def test_the_cli_on_a_missing_directory_exits_2(tmp_path, capsys):
    assert main(["audit", "--data", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
