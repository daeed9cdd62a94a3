"""The X client under attack (issue 25): a server that drips, answers without end, hands out the same page token for
ever, nests its JSON, writes its errors to forge log lines or sends counts no file may hold. Each test performs the
attack against a server on 127.0.0.1 and is bounded, so the code before the fix fails it instead of hanging."""

import json
import time
import tracemalloc

import pytest
from werkzeug import Request, Response

from pulse.cli import main
from pulse.connectors.x_api import PartialFetch, XClient
from pulse.data.load import load_dataset
from pulse.errors import FetchError
from pulse.http import json_within
from tests.fake_x import RawServer, drip, endless
from tests.test_x_api import NOW, TOKEN, Sleeps, client_for

COUNTS = {"data": [{"start": "2024-02-01T16:00:00.000Z", "end": "2024-02-01T17:00:00.000Z", "tweet_count": 5}]}


def raw_client(server: RawServer, **kwargs) -> XClient:
    return XClient(TOKEN, base_url=server.url("/2"), sleep=Sleeps(), clock=lambda: NOW, **kwargs)


def test_an_answer_dripping_a_byte_at_a_time_ends_at_the_deadline():
    # 40 bytes, one every 0.1 s: each within any read time-out, 4 s in all, against a deadline of 1 s.
    body = json.dumps({"data": {"id": "1DXxyRYNejbKM", "state": "live"}}).encode()[:40]
    with RawServer(drip(body, 0.1)) as server:
        started = time.monotonic()
        with pytest.raises(FetchError, match=r"^X API /spaces/1DXxyRYNejbKM: no complete answer within 1 s"):
            raw_client(server, deadline_s=1.0).space_status("1DXxyRYNejbKM")
        assert time.monotonic() - started < 2.0


def test_an_answer_without_end_stops_at_the_size_cap_holding_little():
    with RawServer(endless(limit=64 * 1024 * 1024)) as server:
        tracemalloc.start()
        try:
            with pytest.raises(FetchError, match=r"the answer is larger than the limit of 1 MB"):
                raw_client(server, max_bytes=1024 * 1024).tweet_counts_recent(["vote"], {"vote": "PTI"})
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


def tweets_page(number: int, token: str | None) -> dict:
    tweet = {
        "id": str(1000 + number),
        "text": f"#vote {number}",
        "author_id": "42",
        "created_at": "2024-02-01T16:30:00.000Z",
        "public_metrics": {"retweet_count": 0, "like_count": 1},
        "entities": {"hashtags": [{"tag": "vote"}]},
    }
    return {"data": [tweet], "meta": {"result_count": 1, **({"next_token": token} if token else {})}}


class Pages:
    """A recent search whose every answer hands out `token(n)` (for the n-th request), until `last`."""

    def __init__(self, httpserver, token, last: int = 60):
        self.token, self.last, self.asked = token, last, 0
        httpserver.expect_request("/2/tweets/search/recent").respond_with_handler(self)

    def __call__(self, request: Request) -> Response:
        self.asked += 1
        token = self.token(self.asked) if self.asked < self.last else None
        return Response(json.dumps(tweets_page(self.asked, token)), content_type="application/json")


def test_a_page_token_handed_out_twice_stops_the_search_keeping_what_arrived(httpserver):
    pages = Pages(httpserver, lambda n: "same")
    with pytest.raises(PartialFetch, match="handed out a page token twice") as caught:
        client_for(httpserver).search_recent("#vote", "PTI")
    assert pages.asked == 2
    assert caught.value.partial["tweet_id"].to_list() == ["1001", "1002"]


def test_a_search_stops_at_the_page_cap_keeping_what_arrived(httpserver):
    pages = Pages(httpserver, lambda n: f"token{n}")
    with pytest.raises(PartialFetch, match="stopped after 5 pages") as caught:
        client_for(httpserver, max_pages=5).search_recent("#vote", "PTI")
    assert pages.asked == 5
    assert caught.value.partial.height == 5


def test_fetch_x_tweets_saves_what_arrived_before_a_repeated_token_and_exits_3(
    httpserver, tmp_path, monkeypatch, capsys
):
    pages = Pages(httpserver, lambda n: "same")
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    args = ["fetch-x", "tweets", "--query", "#vote", "--party", "PTI", "--data", str(tmp_path)]
    code = main([*args, "--base-url", httpserver.url_for("/2")])
    assert code == 3
    assert pages.asked == 2
    assert load_dataset(tmp_path, "raw_tweets")[0]["tweet_id"].sort().to_list() == ["1001", "1002"]
    assert "handed out a page token twice" in capsys.readouterr().err


def test_json_nested_deeper_than_the_budget_is_refused_not_a_recursion_error(httpserver):
    httpserver.expect_request("/2/tweets/counts/recent").respond_with_data(
        '{"data": ' + "[" * 100_000 + "]" * 100_000 + "}", content_type="application/json"
    )
    with pytest.raises(FetchError, match=r"nested deeper than 64 levels"):
        client_for(httpserver).tweet_counts_recent(["vote"], {"vote": "PTI"})


def test_the_depth_budget_counts_brackets_outside_strings_only():
    assert json_within(b'{"a": "' + b"[" * 500 + b'\\"[["}', max_depth=2) == {"a": "[" * 500 + '"[['}
    with pytest.raises(ValueError, match="nested deeper than 2 levels"):
        json_within(b'{"a": [[1]], "b": "[[[["}', max_depth=2)


def test_an_error_message_from_x_cannot_forge_a_log_line_or_repaint_the_terminal(httpserver):
    forged = "Invalid\n2024-02-01 17:10:00 UTC | counts: 167 hour(s) fetched\x1b[2K\x1b[1A\r\u202e"
    httpserver.expect_request("/2/spaces/1DXxyRYNejbKM").respond_with_json({"detail": forged}, status=400)
    with pytest.raises(FetchError) as caught:
        client_for(httpserver).space_status("1DXxyRYNejbKM")
    message = str(caught.value)
    assert not any(c in message for c in "\n\r\x1b\u202e")
    assert "(Invalid\\n2024-02-01 17:10:00 UTC | counts: 167 hour(s) fetched\\x1b[2K\\x1b[1A\\r\\u202e)" in message


@pytest.mark.parametrize("count", [10**12, 10**20, -1, True, 1.5])
def test_a_listener_count_out_of_the_files_range_is_refused_on_the_way_in(httpserver, count):
    httpserver.expect_request("/2/spaces/1DXxyRYNejbKM").respond_with_json(
        {"data": {"id": "1DXxyRYNejbKM", "state": "live", "participant_count": count}}
    )
    with pytest.raises(FetchError, match=r"participant_count .* is not a count from 0 to 1,000,000,000"):
        client_for(httpserver).space_status("1DXxyRYNejbKM")


def test_a_tweet_count_out_of_the_files_range_is_refused_on_the_way_in(httpserver):
    row = {**COUNTS["data"][0], "tweet_count": 10**20}
    httpserver.expect_request("/2/tweets/counts/recent").respond_with_json({"data": [row], "meta": {}})
    with pytest.raises(FetchError, match=r"tweet_count 100000000000000000000 is not a count from 0"):
        client_for(httpserver).tweet_counts_recent(["vote"], {"vote": "PTI"})


def test_a_hashtag_of_any_script_is_queried(httpserver):
    httpserver.expect_request("/2/tweets/counts/recent", query_string=None).respond_with_json({**COUNTS, "meta": {}})
    frame = client_for(httpserver).tweet_counts_recent(["عمران_خان_زِندہ"], {"عمران_خان_زِندہ": "PTI"})
    assert frame["hashtag"].to_list() == ["عمران_خان_زِندہ"]
    assert httpserver.log[0][0].args["query"] == "#عمران_خان_زِندہ"
