"""Raw tweets read the fast way give exactly what the general path gives, and bad files the same report."""

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pulse.data.load import hashtags_from, load_hashtags, read_table, validate_table
from pulse.data.tweets import aggregate, pair_key, pair_names, rank_values, read_rows
from pulse.errors import ValidationError
from pulse.synth import generate
from tests.conftest import utc

ZONES = ["Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Australia/Lord_Howe", "UTC"]


def general(path, tz):
    return hashtags_from(*validate_table(read_table(path, path.name), "hashtags"), tz)


def assert_same(path, tz):
    fast, slow = load_hashtags(path, tz), general(path, tz)
    assert_frame_equal(fast.counts, slow.counts)
    assert (fast.authors_daily is None) == (slow.authors_daily is None)
    if fast.authors_daily is not None:
        assert_frame_equal(fast.authors_daily, slow.authors_daily)
    assert (fast.form, fast.rows) == (slow.form, slow.rows)


@pytest.fixture(scope="module")
def synthetic():
    return generate(20_000, seed=7)["hashtags"]


@pytest.mark.parametrize("tz", ZONES)
def test_parquet_and_csv_agree_with_the_general_path_in_every_kind_of_zone(tmp_path, synthetic, tz):
    synthetic.write_parquet(tmp_path / "hashtags.parquet")
    synthetic.write_csv(tmp_path / "hashtags.csv", datetime_format="%Y-%m-%dT%H:%M:%SZ")
    assert read_rows(tmp_path / "hashtags.parquet") is not None  # the fast path is taken, not skipped
    assert_same(tmp_path / "hashtags.parquet", tz)
    assert_same(tmp_path / "hashtags.csv", tz)


def test_every_timestamp_form_and_untidy_cells_agree(tmp_path):
    text = (
        "created_at,party,hashtag,author_id,retweets,likes\n"
        "2022-04-20T17:05:00Z,PTI,#ImportedHakumatNaManzoor,0012,1,2\n"
        "2022-04-20T22:55:00+05:00,PTI , importedhakumatnamanzoor,12,446000.0,\n"
        " 2022-04-20 20:30 ,PTI,#IMPORTEDHAKUMATNAMANZOOR,+12,,3\n"
        "2022-04-21,PML-N,#,u1,0,0\n"
        "2022-04-21T01:30:00.5z,PML-N,Shehbaz,,0,0\n"
    )
    (tmp_path / "hashtags.csv").write_text(text, encoding="utf-8")
    assert_same(tmp_path / "hashtags.csv", "Asia/Karachi")
    assert_same(tmp_path / "hashtags.csv", "Asia/Kolkata")


def test_numeric_author_ids_spelled_differently_stay_different_authors(tmp_path):
    rows = pl.DataFrame(
        {
            "created_at": [utc(2022, 4, 20, 17)] * 5,
            "party": ["PTI"] * 5,
            "hashtag": ["a"] * 5,
            "author_id": ["12", "012", "+12", "12", None],
        }
    )
    rows.write_parquet(tmp_path / "hashtags.parquet")
    assert load_hashtags(tmp_path / "hashtags.parquet", "UTC").authors_daily["unique_authors"].to_list() == [3]
    assert_same(tmp_path / "hashtags.parquet", "UTC")


def write_three_tweets(path):
    pl.DataFrame(
        {
            "created_at": [utc(2022, 4, 20, 17, 5), utc(2022, 4, 20, 17, 40), utc(2022, 4, 20, 18, 10)],
            "party": ["PTI", "PTI ", "PTI"],
            "hashtag": ["#Imported", "imported", "Other"],
            "author_id": ["1", "2", "1"],
        }
    ).write_parquet(path)


# Two spellings of one hashtag, one row each: the tie goes to the capitalised one. "#IMPORTED", interned in the
# process by another column, is used by no row here and is never chosen.
THREE_TWEETS = [("Imported", "PTI", utc(2022, 4, 20, 17), 2), ("Other", "PTI", utc(2022, 4, 20, 18), 1)]


def test_strings_interned_for_other_columns_change_nothing(tmp_path):
    # Hashtag spellings are read from the process's categories, which also hold other columns' strings,
    # blank ones included: a valid file must still load the fast way, with only its own hashtags.
    pl.Series([" ", "zzz", "#IMPORTED", "PTI"]).cast(pl.Categorical)
    write_three_tweets(tmp_path / "hashtags.parquet")
    assert aggregate(read_rows(tmp_path / "hashtags.parquet"), "UTC") is not None
    counts = load_hashtags(tmp_path / "hashtags.parquet", "UTC").counts
    assert counts.rows() == THREE_TWEETS
    assert_same(tmp_path / "hashtags.parquet", "UTC")


def test_a_process_with_very_many_categories_ranks_only_the_spellings_in_use(tmp_path, monkeypatch):
    monkeypatch.setattr("pulse.data.tweets.MAX_SPELLINGS", 1)
    write_three_tweets(tmp_path / "hashtags.parquet")
    loaded = load_hashtags(tmp_path / "hashtags.parquet", "UTC")
    assert loaded.counts.rows() == THREE_TWEETS
    day = date(2022, 4, 20)
    assert loaded.authors_daily.rows() == [("Imported", "PTI", day, 2), ("Other", "PTI", day, 1)]


def test_typed_parquet_with_integer_authors_and_naive_times(tmp_path):
    pl.DataFrame(
        {
            "created_at": pl.Series(["2022-04-20 17:05", "2022-04-20 17:10"]).str.to_datetime(),
            "party": pl.Series(["PTI", "PTI"], dtype=pl.Categorical),
            "hashtag": ["A", "#a"],
            "author_id": [5, 5],
            "likes": pl.Series([1, 2], dtype=pl.UInt32),
        }
    ).write_parquet(tmp_path / "hashtags.parquet")
    loaded = load_hashtags(tmp_path / "hashtags.parquet", "Asia/Karachi")
    assert loaded.counts.rows() == [("A", "PTI", utc(2022, 4, 20, 17), 2)]
    assert loaded.authors_daily["unique_authors"].to_list() == [1]
    assert_same(tmp_path / "hashtags.parquet", "Asia/Karachi")


@pytest.mark.parametrize(
    ("cells", "report"),
    [
        ("20/04/2022,PTI,a,1", "line 3, column 'created_at': value '20/04/2022'"),
        (",PTI,a,1", "line 3, column 'created_at': a value is required here"),
        ("2022-04-20T17:00:00Z, ,a,1", "line 3, column 'party': a value is required here"),
        ("2022-04-20T17:00:00Z,PTI,a,-1", "line 3, column 'likes': value '-1': a count cannot be negative"),
        ("2022-04-20T17:00:00Z,PTI,a,1.5", "line 3, column 'likes': value '1.5': not a whole number"),
        ("2022-04-20T17:00:00Z,PTI,a,inf", "line 3, column 'likes': value 'inf': not a whole number"),
        ("2022-04-20T17:00:00Z,PTI,a, -2.0 ", "line 3, column 'likes': value '-2.0': a count cannot be negative"),
    ],
)
def test_a_bad_row_gets_the_general_report(tmp_path, cells, report):
    text = f"created_at,party,hashtag,likes\n2022-04-20T17:00:00Z,PTI,a,1\n{cells}\n"
    (tmp_path / "hashtags.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError, match=report):
        load_hashtags(tmp_path / "hashtags.csv", "Asia/Karachi")


def test_bad_parquet_row_is_named_by_row(tmp_path):
    pl.DataFrame(
        {"created_at": [utc(2022, 4, 20), None], "party": ["PTI", "PTI"], "hashtag": ["a", "b"], "likes": [1, -2]}
    ).write_parquet(tmp_path / "hashtags.parquet")
    with pytest.raises(ValidationError) as caught:
        load_hashtags(tmp_path / "hashtags.parquet", "UTC")
    assert [str(p) for p in caught.value.problems] == [
        "hashtags.parquet, row 2, column 'created_at': a value is required here",
        "hashtags.parquet, row 2, column 'likes': value '-2': a count cannot be negative",
    ]


@pytest.mark.parametrize(
    ("times", "tz"),
    [
        (["1965-06-01T10:05:00Z", "1965-06-01T10:50:00Z", "1965-06-02T23:59:00Z"], "Africa/Monrovia"),  # UTC-0:44:30
        (["1900-01-01T00:00:00Z", "2250-01-01T00:00:00Z"], "Asia/Karachi"),  # too long a range to tabulate
    ],
)
def test_zones_and_ranges_that_need_row_by_row_mapping_agree(tmp_path, monkeypatch, times, tz):
    monkeypatch.setenv("PULSE_EARLIEST_DATE", "1900-01-01")  # the operator widened the window of plausible times
    monkeypatch.setenv("PULSE_LATEST_DATE", "2250-12-31")
    text = "created_at,party,hashtag,author_id\n" + "".join(f"{t},PTI,a,{i % 2}\n" for i, t in enumerate(times))
    (tmp_path / "hashtags.csv").write_text(text, encoding="utf-8")
    assert_same(tmp_path / "hashtags.csv", tz)


def test_counts_written_every_accepted_way_load_fast(tmp_path):
    cells = ["+5", "007", "1e3", " 5 ", "446000.0", "-0", ""]
    text = "created_at,party,hashtag,likes\n" + "".join(f"2022-04-20T17:00:00Z,PTI,a,{c}\n" for c in cells)
    (tmp_path / "hashtags.csv").write_text(text, encoding="utf-8")
    assert read_rows(tmp_path / "hashtags.csv") is not None  # no row is broken: the fast path is taken
    assert_same(tmp_path / "hashtags.csv", "UTC")


@pytest.mark.parametrize("tz", ["Europe/London", "America/New_York", "Australia/Lord_Howe"])
def test_clocks_going_back_agree(tmp_path, tz):
    # Every 20 minutes across the autumn changes of 2022 (Europe 30 Oct, US 6 Nov; Lord Howe 3 April).
    times = pl.concat(
        [
            pl.datetime_range(utc(2022, 10, 29), utc(2022, 11, 8), "20m", eager=True),
            pl.datetime_range(utc(2022, 4, 1), utc(2022, 4, 5), "20m", eager=True),
        ]
    )
    pl.DataFrame(
        {"created_at": times, "party": "PTI", "hashtag": "a", "author_id": (pl.int_range(times.len(), eager=True) % 7)}
    ).write_parquet(tmp_path / "hashtags.parquet")
    assert_same(tmp_path / "hashtags.parquet", tz)


@pytest.mark.parametrize("statistics", [True, False])
def test_a_negative_count_deep_in_a_parquet_file_is_found_with_or_without_statistics(tmp_path, statistics):
    rows = generate(5_000, seed=3)["hashtags"].with_columns(
        pl.when(pl.int_range(pl.len()) == 4_321).then(-1).otherwise(pl.col("likes")).alias("likes")
    )
    rows.write_parquet(tmp_path / "hashtags.parquet", statistics=statistics, row_group_size=1_000)
    assert read_rows(tmp_path / "hashtags.parquet") is None
    with pytest.raises(ValidationError, match="row 4322, column 'likes': value '-1': a count cannot be negative"):
        load_hashtags(tmp_path / "hashtags.parquet", "UTC")


def general_report(path) -> str:
    with pytest.raises(ValidationError) as caught:
        validate_table(read_table(path, path.name), "hashtags")
    return str(caught.value)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_file_with_many_broken_rows_gets_exactly_the_general_report(tmp_path, suffix, monkeypatch):
    good = "2022-04-20T17:00:00Z,PTI,a,u1,1,2"
    bad = [
        ",PTI,a,u1,1,2",
        "yesterday,PTI,a,u1,1,2",
        "2022-04-20T17:00:00Z, ,a,u1,1,2",
        "2022-04-20T17:00:00Z,PTI,,u1,1,2",
    ]
    bad += ["2022-04-20T17:00:00Z,PTI,a,u1,-1,2", "2022-04-20T17:00:00Z,PTI,a,u1,1,2.5"]
    lines = [bad[i % len(bad)] if i % 7 == 3 else good for i in range(600)]  # 86 broken rows: more than 50
    text = "created_at,party,hashtag,author_id,retweets,likes\n" + "\n".join(lines) + "\n"
    (tmp_path / "hashtags.csv").write_text(text, encoding="utf-8")
    path = tmp_path / "hashtags.csv"
    if suffix == ".parquet":
        path = tmp_path / "hashtags.parquet"
        pl.read_csv(tmp_path / "hashtags.csv", schema_overrides={"likes": pl.Float64}).with_columns(
            pl.col("created_at").str.to_datetime(strict=False, time_zone="UTC")
        ).write_parquet(path)
    expected = general_report(path)
    monkeypatch.setattr("pulse.data.load.read_table", None)  # the whole file is never read as text
    with pytest.raises(ValidationError) as caught:
        load_hashtags(path, "UTC")
    assert str(caught.value) == expected
    assert caught.value.total > 50


def test_one_pair_key_per_party_and_hashtag_whatever_the_spelling():
    """pair_key (shared by aggregate and the rollup): spellings that normalise alike share a pair, and pair_names
    turns a pair back into the hashtag key and party."""
    rows = pl.DataFrame(
        {"hashtag": ["#Vote", "vote", "Other", "VOTE"], "party": ["PTI", " PTI ", "PTI", "PPP"]}
    ).with_columns(pl.col("hashtag", "party").cast(pl.Categorical))
    key = pair_key(rows)
    pairs = rows.select(key.pair.alias("pair"))["pair"].to_list()
    assert pairs[0] == pairs[1] and len(set(pairs)) == 3
    assert all(0 <= p < key.n_pairs for p in pairs)  # codes the process interned elsewhere may rank too
    names = pl.DataFrame({"pair": pairs}).select(
        pair_names("pair", key.n_tags, rank_values(key.tags), rank_values(key.parties))
    )
    assert names.rows() == [("vote", "PTI"), ("vote", "PTI"), ("other", "PTI"), ("vote", "PPP")]
