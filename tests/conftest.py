import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# In CI, tests that need a system tool (Chromium, LibreOffice) fail without it instead of being skipped.
IN_CI = os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(autouse=True)
def _clear_streamlit_cache():
    """Cached data leaks between AppTests in one process unless cleared."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def counts_frame(rows: list[tuple[str, str, datetime, int]]) -> pl.DataFrame:
    """Hourly counts in the validated counts form, from (hashtag, party, period_start, tweets) tuples."""
    return pl.DataFrame(
        rows,
        schema={
            "hashtag": pl.String,
            "party": pl.String,
            "period_start": pl.Datetime("us", "UTC"),
            "tweets": pl.Int64,
        },
        orient="row",
    )


def identical_rows_parquet(row: dict[str, object], rows: int) -> bytes:
    """A Parquet file of `rows` copies of `row`: a few hundred KB, however many millions of rows it holds.

    Written 5M rows at a time, so making it never holds the rows it describes.
    """
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    chunk = min(rows, 5_000_000)
    table = pa.Table.from_pylist([row]).take(pa.array(np.zeros(chunk, dtype=np.int32)))
    buffer = io.BytesIO()
    with pq.ParquetWriter(buffer, table.schema, compression="zstd", write_statistics=False) as writer:
        for start in range(0, rows, chunk):
            writer.write_table(table.slice(0, min(chunk, rows - start)))
    return buffer.getvalue()


@pytest.fixture
def store_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the bundled data for the app under test to read and write (PULSE_DATA_DIR), with no editor key,
    author salt or author-id switch from the developer's environment."""
    directory = tmp_path / "data"
    shutil.copytree(BUNDLED, directory, ignore=shutil.ignore_patterns("*.py", "*.md"))
    monkeypatch.setenv("PULSE_DATA_DIR", str(directory))
    for setting in ("PULSE_EDITOR_KEY", "PULSE_AUTHOR_SALT", "PULSE_SHOW_AUTHOR_IDS"):
        monkeypatch.delenv(setting, raising=False)
    return directory


BOMB_ROWS = 30_000_000


@pytest.fixture(scope="session")
def spaces_bomb() -> bytes:
    """The security review's memory bomb: a spaces Parquet file of 30 million identical rows."""
    space = {"space_id": "s1", "party": "PTI", "host": "h", "started_at": datetime(2022, 4, 20, tzinfo=UTC)}
    return identical_rows_parquet({**space, "total_listeners": 1}, BOMB_ROWS)


@pytest.fixture
def youtube(httpserver):
    """The fake YouTube API (tests/fake_youtube.py), installed; after the test, a check that no code path called
    search.list (100 units a call): every test of YouTube uses it, so every code path they exercise is checked."""
    from tests.fake_youtube import FakeYouTube

    fake = FakeYouTube()
    fake.install(httpserver)
    yield fake
    assert not fake.searched, f"search.list was called: {fake.asked}"
    assert not [r for r, _ in httpserver.log if "/search" in r.path]
