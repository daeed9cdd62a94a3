"""The Spark engine gives the polars engine's tables, row for row and byte for byte (CI runs it: Java, pyspark)."""

import importlib.util
import os
import shutil

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.rollup import AUTHOR_DAYS_FILE, AUTHORS_FILE, COUNTS_FILE, rollup
from pulse.synth import generate
from tests.conftest import utc
from tests.test_rollup import archive, bump
from tests.test_rollup_hostile import BLANK_AUTHORS

if os.environ.get("CI") != "true" and (shutil.which("java") is None or importlib.util.find_spec("pyspark") is None):
    pytest.skip(
        "Spark tests need Java 17+ and pyspark (requirements-spark.txt); CI installs both", allow_module_level=True
    )

from pulse import spark_rollup  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    """One local session for the module: the JVM takes seconds to start."""
    session = spark_rollup.session("local[2]", {"spark.sql.shuffle.partitions": "2", "spark.ui.enabled": "false"})
    yield session
    session.stop()


MESSY = pl.DataFrame(
    {
        "created_at": [utc(2022, 3, 26, 22, 59), utc(2022, 3, 27, 1, 30), utc(2022, 3, 27, 0, 45), utc(2022, 3, 27, 3)],
        "party": ["\tPTI ", "PTI", "PPP", "PPP"],
        "hashtag": ["##ImranKhan ", " imrankhan", "امپورٹڈ_حکومت_نامنظور", "#Ünïcode"],
        "author_id": [" 1001", "1001", None, "0042"],  # the same author twice, one missing, a leading zero
    }
)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """Generated days around Europe's clock change (27 March 2022), one CSV day, a messy file, one without authors."""
    root = tmp_path_factory.mktemp("spark") / "raw"
    tweets = generate(60_000, seed=5)["hashtags"]
    tweets = tweets.filter(pl.col("created_at").is_between(utc(2022, 3, 25), utc(2022, 3, 30), closed="left"))
    archive(root, tweets)
    as_csv = root / "day=2022-03-28" / "part-0.parquet"
    pl.read_parquet(as_csv).write_csv(as_csv.with_suffix(".csv"), datetime_format="%Y-%m-%dT%H:%M:%SZ")
    as_csv.unlink()
    MESSY.write_parquet(root / "messy.parquet")
    MESSY.drop("author_id").with_columns(pl.lit("PML-N").alias("party")).write_parquet(root / "no-authors.parquet")
    return root


@pytest.mark.parametrize("tz", ["Asia/Karachi", "Asia/Kolkata", "Europe/Berlin"])
def test_spark_and_polars_give_the_same_tables(spark, raw, tmp_path, tz):
    rollup(str(raw), tmp_path / "polars", tz)
    rollup(str(raw), tmp_path / "spark", tz, spark_rollup.spark_engine(spark=spark), batch_rows=spark_rollup.BATCH_ROWS)
    for name in (COUNTS_FILE, AUTHORS_FILE, AUTHOR_DAYS_FILE):
        ours, theirs = pl.read_parquet(tmp_path / "polars" / name), pl.read_parquet(tmp_path / "spark" / name)
        assert_frame_equal(theirs, ours)  # every row, every type
        assert ours.height > 500
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "polars" / name).read_bytes()
    authors = pl.read_parquet(tmp_path / "spark" / AUTHORS_FILE)
    # '1001' twice is one author; '0042' is another; the missing one none.
    assert authors.filter(pl.col("hashtag") == "ImranKhan", pl.col("party") == "PTI")["authors"].sum() >= 1
    assert "Ünïcode" in authors["hashtag"].to_list()  # '#' gone, the capital kept


def test_a_spark_rerun_after_a_change_equals_a_full_polars_run(spark, raw, tmp_path):
    work = tmp_path / "raw"
    shutil.copytree(raw, work)
    engine = spark_rollup.spark_engine(spark=spark)
    rollup(str(work), tmp_path / "spark", "Asia/Karachi", engine, batch_rows=spark_rollup.BATCH_ROWS)
    changed = work / "messy.parquet"
    MESSY.head(2).write_parquet(changed)
    bump(changed)
    done = rollup(str(work), tmp_path / "spark", "Asia/Karachi", engine, batch_rows=spark_rollup.BATCH_ROWS)
    assert done.days == 1  # both rows left are of the 27th, local time
    rollup(str(work), tmp_path / "polars", "Asia/Karachi")
    for name in (COUNTS_FILE, AUTHORS_FILE, AUTHOR_DAYS_FILE):
        assert (tmp_path / "spark" / name).read_bytes() == (tmp_path / "polars" / name).read_bytes()


def test_a_blank_author_id_is_no_author_on_spark_either(spark, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.csv").write_text(BLANK_AUTHORS)
    engine = spark_rollup.spark_engine(spark=spark)
    rollup(str(raw), tmp_path / "spark", "Asia/Karachi", engine, batch_rows=spark_rollup.BATCH_ROWS)
    assert pl.read_parquet(tmp_path / "spark" / AUTHORS_FILE)["authors"].to_list() == [1]
    days = pl.read_parquet(tmp_path / "spark" / AUTHOR_DAYS_FILE)
    assert days.select("author_id", "tweets").rows() == [(None, 2), ("u1", 1)]
