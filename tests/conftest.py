from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


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
