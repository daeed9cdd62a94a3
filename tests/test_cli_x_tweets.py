"""`python -m pulse fetch-x tweets`: raw tweets from the recent-search endpoint into raw_tweets (local X API)."""

import polars as pl

from pulse.data.load import load_dataset, load_raw_tweets
from pulse.data.store import Store
from tests.conftest import utc
from tests.test_cli_x import run, x_env  # noqa: F401 (a fixture)
from tests.test_x_api import TOKEN, TOO_MANY, UNAUTHORIZED, USAGE_CAP

PATH = "/2/tweets/search/recent"
FIRST = {
    "query": "#Vote -is:retweet",
    "max_results": "100",
    "tweet.fields": "created_at,author_id,text,public_metrics,entities",
    "start_time": "2024-02-01T10:00:00Z",
    "end_time": "2024-02-01T18:00:00Z",
}


def tweet(tweet_id: str, author: str, minute: int, text: str, tags: list[str], likes: int = 3) -> dict:
    return {
        "id": tweet_id,
        "author_id": author,
        "created_at": f"2024-02-01T12:{minute:02d}:00.000Z",
        "text": text,
        "edit_history_tweet_ids": [tweet_id],
        "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": likes, "quote_count": 0},
        "entities": {"hashtags": [{"start": 0, "end": len(t) + 1, "tag": t} for t in tags]} if tags else {},
    }


def page(tweets: list[dict], next_token: str | None = None) -> dict:
    meta = {"result_count": len(tweets)} | ({"next_token": next_token} if next_token else {})
    return {"data": tweets, "meta": meta}


PAGE_1 = page(
    [
        tweet("101", "7", 0, "Go vote! #Vote #vote #PTI https://t.co/x", ["Vote", "vote", "PTI"]),
        tweet("102", "8", 1, "<script>alert(1)</script> #Vote", ["Vote"]),
    ],
    next_token="p2",
)
PAGE_2 = page([tweet("103", "7", 2, "no tag at all", []), tweet("104", "9", 3, "again #Vote", ["Vote"])])


def test_fetch_tweets_follows_pages_into_raw_tweets(httpserver, x_env, tmp_path, capsys):  # noqa: F811
    httpserver.expect_request(PATH, query_string=FIRST).respond_with_json(PAGE_1)
    httpserver.expect_request(PATH, query_string={**FIRST, "next_token": "p2"}).respond_with_json(PAGE_2)
    data = tmp_path / "data"
    argv = ["fetch-x", "tweets", "--query", "#Vote -is:retweet", "--party", "PTI", "--data", str(data)]
    code, out, _ = run(capsys, *argv, "--start", "2024-02-01T15:00:00+05:00", "--end", "2024-02-01T18:00:00")
    assert code == 0
    assert "Fetched 3 tweet(s), 4 row(s): one per tweet and hashtag." in out
    assert "Left out 1 tweet(s) without a hashtag" in out
    assert "raw_tweets: 4 added, 0 updated, 0 unchanged" in out
    stored, _ = load_dataset(data, "raw_tweets")
    assert stored.select("created_at", "party", "hashtag", "tweet_id", "author_id", "retweets", "likes").rows() == [
        (utc(2024, 2, 1, 12, 0), "PTI", "Vote", "101", "7", 1, 3),  # #Vote and #vote: one hashtag, as first spelled
        (utc(2024, 2, 1, 12, 0), "PTI", "PTI", "101", "7", 1, 3),
        (utc(2024, 2, 1, 12, 1), "PTI", "Vote", "102", "8", 1, 3),
        (utc(2024, 2, 1, 12, 3), "PTI", "Vote", "104", "9", 1, 3),
    ]
    assert stored["text"][2] == "<script>alert(1)</script> #Vote"  # stored as data, shown as text
    raw = load_raw_tweets(Store(data))
    assert raw.dataset == "raw_tweets" and raw.rows["author_id"].n_unique() == 3

    # A second fetch: a tweet's likes grew, the rest is unchanged.
    httpserver.clear()
    again = page([tweet("104", "9", 3, "again #Vote", ["Vote"], likes=10)])
    httpserver.expect_request(PATH).respond_with_json(again)
    code, out, _ = run(capsys, "fetch-x", "tweets", "--query", "#Vote", "--party", "PTI", "--data", str(data))
    assert code == 0 and "raw_tweets: 0 added, 1 updated, 0 unchanged" in out
    likes = load_dataset(data, "raw_tweets")[0].filter(pl.col("tweet_id") == "104")["likes"].to_list()
    assert likes == [10]


def test_a_rate_limit_part_way_saves_the_first_page_and_exits_3(httpserver, x_env, tmp_path, capsys):  # noqa: F811
    httpserver.expect_ordered_request(PATH).respond_with_json(PAGE_1)
    httpserver.expect_ordered_request(PATH).respond_with_json(
        TOO_MANY, status=429, headers={"x-rate-limit-reset": "4102444800"}
    )
    data = tmp_path / "data"
    code, out, err = run(capsys, "fetch-x", "tweets", "--query", "#Vote", "--party", "PTI", "--data", str(data))
    assert code == 3
    assert "raw_tweets: 3 added" in out
    assert "stopped early, what was fetched is saved" in err and "kept the 2 tweet(s)" in err
    assert load_dataset(data, "raw_tweets")[0]["tweet_id"].n_unique() == 2


def test_the_usage_cap_stops_at_once(httpserver, x_env, tmp_path, capsys):  # noqa: F811
    httpserver.expect_request(PATH).respond_with_json(USAGE_CAP, status=429)
    code, _, err = run(capsys, "fetch-x", "tweets", "--query", "#Vote", "--party", "PTI", "--data", str(tmp_path))
    assert code == 3 and "no request will succeed until the plan's cap resets" in err
    assert not (tmp_path / "raw_tweets.csv").exists()


def test_a_rejected_token_and_a_bad_answer_exit_2_and_save_nothing(httpserver, x_env, tmp_path, capsys):  # noqa: F811
    httpserver.expect_ordered_request(PATH).respond_with_json(UNAUTHORIZED, status=401)
    code, _, err = run(capsys, "fetch-x", "tweets", "--query", "#Vote", "--party", "PTI", "--data", str(tmp_path))
    assert code == 2 and "rejected the token (HTTP 401)" in err and TOKEN not in err
    httpserver.expect_ordered_request(PATH).respond_with_json(
        page([tweet("1", "7", 0, "#Vote", ["Vote"]) | {"created_at": "yesterday"}])
    )
    code, _, err = run(capsys, "fetch-x", "tweets", "--query", "#Vote", "--party", "PTI", "--data", str(tmp_path))
    assert code == 2 and "a tweet is not in the expected shape" in err
    assert not list(tmp_path.glob("raw_tweets.*"))


def test_an_empty_or_overlong_query_is_refused_before_any_request(httpserver, x_env, tmp_path, capsys):  # noqa: F811
    for query in ("  ", "x" * 513):
        code, _, err = run(capsys, "fetch-x", "tweets", "--query", query, "--party", "PTI", "--data", str(tmp_path))
        assert code == 2 and "a search query needs 1 to 512 characters" in err
    assert not httpserver.log
