"""Author pseudonyms hold across exports: without PULSE_AUTHOR_SALT, a key kept in the data directory (0600,
never exported, listed or shown) hashes the ids, until `python -m pulse rotate-author-key` replaces it."""

import hashlib
import hmac
import io
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import polars as pl
import pytest

from pulse.data import ingest
from pulse.data.author_key import KEY_FILE, author_key, rotate_key, stored_key
from pulse.data.store import Store
from pulse.errors import PulseError
from pulse.escape import markdown_text
from tests.conftest import BUNDLED, ROOT
from tests.test_cli import export, read
from tests.test_pages import run


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A copy of the bundled data (its raw tweets have copy-paste bursts), with no salt set."""
    monkeypatch.delenv("PULSE_AUTHOR_SALT", raising=False)
    monkeypatch.delenv("PULSE_SHOW_AUTHOR_IDS", raising=False)
    directory = tmp_path / "data"
    shutil.copytree(BUNDLED, directory, ignore=shutil.ignore_patterns("*.py", "*.md"))
    return directory


def account_ids(data, out) -> list[str]:
    result = export("--data", str(data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return read(out / "copy_bursts.csv")["account_ids"].to_list()


def pseudonym(key: bytes, author: str) -> str:
    return "a-" + hmac.new(key, author.encode(), hashlib.sha256).hexdigest()[:12]


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def rotate(data) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pulse", "rotate-author-key", "--data", str(data)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_two_exports_give_the_same_pseudonyms_and_rotating_the_key_changes_them(data, tmp_path):
    first = account_ids(data, tmp_path / "first")
    assert account_ids(data, tmp_path / "second") == first
    key = bytes.fromhex((data / KEY_FILE).read_text())
    assert mode(data / KEY_FILE) == 0o600
    # The biggest burst's first account, as the raw sample has it, hashed with the stored key.
    raw = pl.read_csv(data / "raw_tweets.csv", infer_schema=False)
    window = pl.col("created_at").is_between(pl.lit("2022-04-10T17:30:00Z"), pl.lit("2022-04-10T17:36:16Z"))
    planted = raw.filter(window & pl.col("text").str.to_lowercase().str.contains("imported hakumat na manzoor! qaum"))
    assert first[0].split("|")[0] == pseudonym(key, planted.sort("created_at")["author_id"][0])

    rotated = rotate(data)
    assert rotated.returncode == 0, rotated.stderr
    assert rotated.stdout == f"{data / KEY_FILE}: a new author key; pseudonyms from now on differ from those in " \
        "earlier exports\n"  # fmt: skip
    assert mode(data / KEY_FILE) == 0o600
    after = account_ids(data, tmp_path / "after")
    assert len(after) == len(first)
    earlier = {i for ids in first for i in ids.split("|")}
    assert not earlier & {i for ids in after for i in ids.split("|")}  # not one pseudonym joins
    assert account_ids(data, tmp_path / "again") == after


def test_the_key_file_is_the_owners_alone_whatever_the_umask(tmp_path):
    previous = os.umask(0)
    try:
        key = stored_key(tmp_path)
        assert mode(tmp_path / KEY_FILE) == 0o600 and len(key) == 32
        assert stored_key(tmp_path) == key  # kept, not made again
        rotate_key(tmp_path)
        assert mode(tmp_path / KEY_FILE) == 0o600 and stored_key(tmp_path) != key
    finally:
        os.umask(previous)
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no temporary file left behind


def test_a_salt_or_raw_ids_leave_the_data_directory_alone(tmp_path):
    assert author_key(tmp_path, "newsroom-key", None) == b"newsroom-key"
    assert author_key(tmp_path, None, "true") is None
    assert not (tmp_path / KEY_FILE).exists()
    assert author_key(tmp_path, None, None) == stored_key(tmp_path)


def test_the_key_never_leaves_the_data_directory(data, tmp_path):
    account_ids(data, tmp_path / "csv")
    assert export("--data", str(data), "--out", str(tmp_path / "xlsx"), "--format", "xlsx").returncode == 0
    text = (data / KEY_FILE).read_text().strip()
    secret = (text.encode(), bytes.fromhex(text))

    def holds_key(content: bytes) -> bool:
        return any(s in content for s in secret)

    exported = [*(tmp_path / "csv").iterdir(), *(tmp_path / "xlsx").iterdir()]
    assert sorted(p.name for p in exported) == sorted(
        ["spaces.csv", "hashtag_daily.csv", "party_daily.csv", "party_summary.csv", "events.csv"]
        + ["hashtag_drivers.csv", "copy_bursts.csv", "claims.csv", "streams.csv", "pulse-export.xlsx"]
    )
    with zipfile.ZipFile(tmp_path / "xlsx" / "pulse-export.xlsx") as workbook:
        parts = [workbook.read(name) for name in workbook.namelist()]
    assert not [p for p in exported if holds_key(p.read_bytes())] and not [p for p in parts if holds_key(p)]
    # The Data page: its table of stored datasets and its "Export all datasets (zip)".
    store = Store(data)
    overview = ingest.stored_overview(store)
    assert KEY_FILE not in overview["file"].to_list()
    with zipfile.ZipFile(io.BytesIO(ingest.zip_bytes(ingest.stored_tables(store, stored_key(data))))) as archive:
        assert all(KEY_FILE not in name for name in archive.namelist())
        assert not [name for name in archive.namelist() if holds_key(archive.read(name))]
    assert all(KEY_FILE not in name for name, _, _ in store.fingerprint())


DAMAGED = (
    "the data directory's author key (.author-key) is not one pulse wrote; make a new one with "
    "`python -m pulse rotate-author-key --data DIR` (author pseudonyms will change)"
)


def test_a_damaged_or_unwritable_key_is_an_error_that_never_quotes_it(tmp_path):
    (tmp_path / KEY_FILE).write_text("not-a-key-but-maybe-a-secret\n")
    with pytest.raises(PulseError) as damaged:
        stored_key(tmp_path)
    assert str(damaged.value) == DAMAGED
    with pytest.raises(PulseError) as missing:
        stored_key(tmp_path / "nowhere")
    assert str(missing.value) == (
        "cannot keep the author key (.author-key) in the data directory: No such file or directory; let pulse "
        "write there, or set PULSE_AUTHOR_SALT to a secret of your own"
    )
    result = rotate(tmp_path / "nowhere")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {tmp_path / 'nowhere'} is not a directory: name the data directory whose author key to rotate\n"
    )


def test_the_hashtags_page_reports_a_damaged_key_without_a_traceback(data, monkeypatch):
    (data / KEY_FILE).write_text("not-a-key-but-maybe-a-secret\n")
    monkeypatch.setenv("PULSE_DATA_DIR", str(data))
    at = run("2_Hashtags")
    assert not at.exception
    assert [e.value for e in at.error] == [markdown_text(DAMAGED)]  # the message, as text: never the key
