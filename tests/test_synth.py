"""The synthetic data generator: seeded, in the contract's raw form, skewed, and loadable as a data directory."""

import polars as pl
from polars.testing import assert_frame_equal

from pulse.cli import main
from pulse.data.load import load_data_dir
from pulse.synth import generate


def test_same_seed_same_data_and_another_seed_differs():
    first, again, other = generate(20_000, seed=1), generate(20_000, seed=1), generate(20_000, seed=2)
    for name in first:
        assert_frame_equal(first[name], again[name])
    assert not first["hashtags"].equals(other["hashtags"])


def test_raw_tweets_have_the_contract_columns_and_a_skew():
    tweets = generate(50_000)["hashtags"]
    assert tweets.height == 50_000
    assert tweets.columns == ["created_at", "party", "hashtag", "tweet_id", "author_id", "retweets", "likes"]
    assert tweets["tweet_id"].n_unique() == tweets.height
    tags = tweets.group_by(pl.col("hashtag").str.strip_chars_start("#").str.to_lowercase()).len().sort("len")
    assert tags["len"].tail(5).sum() > 0.3 * tweets.height  # a few hashtags dominate
    accounts = tweets.group_by("author_id").len().sort("len")
    assert accounts["len"].tail(10).sum() > 0.1 * tweets.height  # and a few accounts


def test_generate_command_writes_a_directory_the_loader_accepts(tmp_path):
    assert main(["generate", "--rows", "5000", "--out", str(tmp_path), "--seed", "3"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "hashtags.parquet",
        "parties.csv",
        "rallies.csv",
        "spaces.csv",
    ]
    data = load_data_dir(tmp_path, "Asia/Karachi")
    assert data.hashtags.form == "raw tweets" and data.hashtags.rows == 5000
    assert data.hashtags.counts["tweets"].sum() == 5000
    # Every party that tweets also holds Spaces and rallies, so event lift has something to measure.
    assert set(data.hashtags.counts["party"]) == set(data.spaces["party"]) == set(data.rallies["party"])


def test_csv_form_loads_to_the_same_counts(tmp_path):
    main(["generate", "--rows", "5000", "--out", str(tmp_path / "pq")])
    main(["generate", "--rows", "5000", "--out", str(tmp_path / "csv"), "--csv"])
    from_parquet = load_data_dir(tmp_path / "pq", "Asia/Karachi").hashtags.counts
    from_csv = load_data_dir(tmp_path / "csv", "Asia/Karachi").hashtags.counts
    assert_frame_equal(from_parquet, from_csv)
