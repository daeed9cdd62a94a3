"""The X API connector against a real local HTTP server answering like the public API v2 docs."""

import json
import socket
from datetime import UTC, datetime

import polars as pl
import pytest
from werkzeug import Request, Response

from pulse.connectors import x_api
from pulse.connectors.x_api import (
    RESET_MARGIN_S,
    PartialFetch,
    RateLimited,
    UsageCapExceeded,
    XClient,
    token_from_env,
    track_space,
)
from pulse.connectors.x_frames import COUNTS_SCHEMA, SPACES_SCHEMA
from pulse.data.load import summarise_samples
from pulse.data.store import Store
from pulse.errors import FetchError, PulseError
from pulse.http import make_session

TOKEN = "AAAAAAAAAAAAAAAAAAAAAsecretBearer%2Btoken0042"
NOW = 1_706_806_800.0  # 2024-02-01T17:00:00Z, the injected clock
HOST_PARTY = pl.DataFrame({"host": ["@TwitterDev", "783214"], "party": ["PTI", "PML-N"]})
SPACE_QUERY = {
    "space.fields": "participant_count,started_at,ended_at,host_ids,creator_id,title,state,created_at",
    "expansions": "host_ids",
    "user.fields": "username",
}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
USAGE_CAP = {
    "account_id": 1234567,
    "product_name": "standard-basic",
    "title": "UsageCapExceeded",
    "period": "Monthly",
    "scope": "Product",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.twitter.com/2/problems/usage-capped",
}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


class Sleeps(list):
    """An injected sleep that records how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(httpserver, sleep=None, **kwargs) -> XClient:
    return XClient(
        TOKEN,
        base_url=httpserver.url_for("/2"),
        # Not `sleep or ...`: an empty recorder is falsy.
        sleep=Sleeps() if sleep is None else sleep,
        clock=lambda: NOW,
        **kwargs,
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def messages(error: BaseException) -> list[str]:
    """Every text an error can show: itself, its repr and anything chained to it."""
    found, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        found += [str(error), repr(error), *map(str, error.args)]
        error = error.__cause__ or error.__context__
    return found


def assert_no_token(error: BaseException) -> None:
    for text in messages(error):
        assert TOKEN not in text and "secretBearer" not in text


def spaces(frame_rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(frame_rows, schema=SPACES_SCHEMA, orient="row")


def test_spaces_by_ids_maps_onto_the_contract(httpserver):
    # The shape of the docs' "Get multiple Spaces" example, with host expansion.
    body = {
        "data": [
            {
                "id": "1DXxyRYNejbKM",
                "state": "ended",
                "title": "Jalsa debrief",
                "created_at": "2024-02-01T16:50:00.000Z",
                "started_at": "2024-02-01T17:00:00.000Z",
                "ended_at": "2024-02-01T18:30:00.000Z",
                "creator_id": "2244994945",
                "host_ids": ["2244994945"],
            },
            {
                "id": "1YqJDqWYNQDGW",
                "state": "live",
                "title": "Ask me anything",
                "created_at": "2024-02-01T16:58:00.000Z",
                "started_at": "2024-02-01T17:05:00.000Z",
                "creator_id": "783214",
                "host_ids": ["783214", "2244994945"],
                "participant_count": 245,
            },
        ],
        "includes": {
            "users": [
                {"id": "2244994945", "name": "Developers", "username": "TwitterDev"},
                {"id": "783214", "name": "X", "username": "X"},
            ]
        },
    }
    httpserver.expect_request(
        "/2/spaces",
        query_string={"ids": "1DXxyRYNejbKM,1YqJDqWYNQDGW", **SPACE_QUERY},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json(body)

    frame, unmapped = client_for(httpserver).spaces_by_ids(["1DXxyRYNejbKM", "1YqJDqWYNQDGW"], HOST_PARTY)

    # The live Space's 245 is who is in it now: never total_listeners, which stays empty.
    expected = spaces(
        [
            (
                "1DXxyRYNejbKM",
                "PTI",
                "TwitterDev",
                "Jalsa debrief",
                utc(2024, 2, 1, 17),
                utc(2024, 2, 1, 18, 30),
                None,
                None,
                None,
                "https://x.com/i/spaces/1DXxyRYNejbKM",
            ),
            (
                "1YqJDqWYNQDGW",
                "PML-N",
                "X",
                "Ask me anything",
                utc(2024, 2, 1, 17, 5),
                None,
                None,
                None,
                None,
                "https://x.com/i/spaces/1YqJDqWYNQDGW",
            ),
        ]
    )
    assert frame.equals(expected)
    assert frame.schema == pl.Schema(SPACES_SCHEMA)
    assert unmapped == []


def test_spaces_by_creator_ids_reports_unmapped_hosts(httpserver):
    body = {
        "data": [
            {
                # The creator is not in includes.users: the first host with a username is used.
                "id": "1OwxWwQnDyQKQ",
                "state": "live",
                "title": "Election night",
                "started_at": "2024-02-08T16:00:00.000Z",
                "creator_id": "999",
                "host_ids": ["999", "2244994945"],
                "participant_count": 1200,
            },
            {
                "id": "1nAJErvvVXgxL",
                "state": "live",
                "title": "Independent voices",
                "started_at": "2024-02-08T15:00:00.000Z",
                "creator_id": "555",
                "host_ids": ["555"],
                "participant_count": 80,
            },
            {
                # Scheduled, not started: no started_at yet, so it cannot be stored.
                "id": "1ZkKzRXVbqBGv",
                "state": "scheduled",
                "title": "Tomorrow",
                "creator_id": "2244994945",
                "host_ids": ["2244994945"],
            },
        ],
        "includes": {
            "users": [
                {"id": "2244994945", "name": "Developers", "username": "TwitterDev"},
                {"id": "555", "name": "Someone", "username": "independent_pk"},
            ]
        },
        "meta": {"result_count": 3},
    }
    httpserver.expect_request(
        "/2/spaces/by/creator_ids", query_string={"user_ids": "999,555,2244994945", **SPACE_QUERY}
    ).respond_with_json(body)

    frame, unmapped = client_for(httpserver).spaces_by_creator_ids(["999", "555", "2244994945"], HOST_PARTY)

    assert frame.select("space_id", "party", "host").rows() == [("1OwxWwQnDyQKQ", "PTI", "TwitterDev")]
    assert frame["total_listeners"].to_list() == [None]
    assert unmapped == ["independent_pk"]


def test_spaces_lookup_splits_ids_in_batches_of_100(httpserver):
    seen = []

    def lookup(request: Request) -> Response:
        seen.append(request.args["ids"].count(",") + 1)
        return Response(json.dumps({"data": []}), content_type="application/json")

    httpserver.expect_request("/2/spaces").respond_with_handler(lookup)
    frame, unmapped = client_for(httpserver).spaces_by_ids([f"S{n}" for n in range(150)], HOST_PARTY)
    assert seen == [100, 50]
    assert frame.height == 0 and unmapped == []


def test_spaces_not_found_is_an_empty_result(httpserver):
    body = {
        "errors": [
            {
                "value": "1DXxyRYNejbKM",
                "detail": "Could not find space with ids: [1DXxyRYNejbKM].",
                "title": "Not Found Error",
                "resource_type": "space",
                "parameter": "ids",
                "resource_id": "1DXxyRYNejbKM",
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }
    httpserver.expect_request("/2/spaces").respond_with_json(body)
    frame, unmapped = client_for(httpserver).spaces_by_ids(["1DXxyRYNejbKM"], HOST_PARTY)
    assert frame.height == 0 and unmapped == []


def count_page(hours: list[tuple[int, int]], next_token: str | None = None) -> dict:
    """A counts/recent answer: one item per (hour of 2024-02-01, tweet_count)."""
    data = [
        {"end": f"2024-02-01T{h + 1:02d}:00:00.000Z", "start": f"2024-02-01T{h:02d}:00:00.000Z", "tweet_count": n}
        for h, n in hours
    ]
    meta = {"total_tweet_count": sum(n for _, n in hours)}
    if next_token:
        meta["next_token"] = next_token
    return {"data": data, "meta": meta}


def counts(rows: list[tuple[str, str, datetime, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=COUNTS_SCHEMA, orient="row")


def test_counts_follow_every_page(httpserver):
    first = {"query": "#ImranKhan", "granularity": "hour"}
    httpserver.expect_request("/2/tweets/counts/recent", query_string=first).respond_with_json(
        count_page([(15, 120), (16, 340)], next_token="b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy")
    )
    httpserver.expect_request(
        "/2/tweets/counts/recent", query_string={**first, "next_token": "b26v89c19zqg8o3fo7gesq314yb9l2l4ptqy"}
    ).respond_with_json(count_page([(17, 95)]))
    httpserver.expect_request(
        "/2/tweets/counts/recent", query_string={"query": "#PMLN", "granularity": "hour"}
    ).respond_with_json(count_page([(16, 7)]))

    frame = client_for(httpserver).tweet_counts_recent(["#ImranKhan", "PMLN"], {"ImranKhan": "PTI", "#PMLN": "PML-N"})

    expected = counts(
        [
            ("ImranKhan", "PTI", utc(2024, 2, 1, 15), 120),
            ("ImranKhan", "PTI", utc(2024, 2, 1, 16), 340),
            ("ImranKhan", "PTI", utc(2024, 2, 1, 17), 95),
            ("PMLN", "PML-N", utc(2024, 2, 1, 16), 7),
        ]
    )
    assert frame.equals(expected)
    assert len(httpserver.log) == 3


def test_counts_pass_the_time_window(httpserver):
    httpserver.expect_request(
        "/2/tweets/counts/recent",
        query_string={
            "query": "#vote",
            "granularity": "hour",
            "start_time": "2024-02-01T12:00:00Z",
            "end_time": "2024-02-01T18:00:00Z",
        },
    ).respond_with_json(count_page([(12, 1)]))
    frame = client_for(httpserver).tweet_counts_recent(
        ["vote"], {"vote": "PTI"}, start_time=utc(2024, 2, 1, 12), end_time="2024-02-01T18:00:00Z"
    )
    assert frame["tweets"].to_list() == [1]


def test_a_hashtag_without_party_fails_before_any_request(httpserver):
    with pytest.raises(PulseError, match="no party for hashtag #vote"):
        client_for(httpserver).tweet_counts_recent(["vote"], {"other": "PTI"})
    assert httpserver.log == []


def test_rate_limit_with_a_near_reset_waits_then_retries(httpserver):
    sleeps = Sleeps()
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(
        TOO_MANY, status=429, headers={"x-rate-limit-reset": str(int(NOW) + 1), "x-rate-limit-remaining": "0"}
    )
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(count_page([(16, 3)]))

    frame = client_for(httpserver, sleep=sleeps).tweet_counts_recent(["vote"], {"vote": "PTI"})

    assert sleeps == [1 + RESET_MARGIN_S]
    assert frame.equals(counts([("vote", "PTI", utc(2024, 2, 1, 16), 3)]))
    httpserver.check_assertions()


def test_rate_limit_far_ahead_keeps_the_pages_fetched(httpserver):
    sleeps = Sleeps()
    reset = int(NOW) + 14 * 60  # 17:14 UTC
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(
        count_page([(15, 120), (16, 340)], next_token="page2")
    )
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(
        TOO_MANY, status=429, headers={"x-rate-limit-reset": str(reset)}
    )

    with pytest.raises(PartialFetch) as caught:
        client_for(httpserver, sleep=sleeps).tweet_counts_recent(["vote"], {"vote": "PTI"})

    assert "rate limited until 17:14 UTC" in str(caught.value)
    assert caught.value.partial.equals(
        counts([("vote", "PTI", utc(2024, 2, 1, 15), 120), ("vote", "PTI", utc(2024, 2, 1, 16), 340)])
    )
    assert sleeps == []
    assert_no_token(caught.value)


def test_rate_limit_on_a_single_lookup_says_until_when(httpserver):
    httpserver.expect_request("/2/spaces/1DXxyRYNejbKM").respond_with_json(
        TOO_MANY, status=429, headers={"x-rate-limit-reset": str(int(NOW) + 3600)}
    )
    with pytest.raises(RateLimited, match="rate limited until 18:00 UTC") as caught:
        client_for(httpserver).space_status("1DXxyRYNejbKM")
    assert caught.value.reset_at == utc(2024, 2, 1, 18)
    assert_no_token(caught.value)


def test_usage_cap_stops_at_once(httpserver):
    sleeps = Sleeps()
    # The reset is near, so a plain rate limit would be waited for: the cap must not be.
    httpserver.expect_request("/2/spaces/1DXxyRYNejbKM").respond_with_json(
        USAGE_CAP, status=429, headers={"x-rate-limit-reset": str(int(NOW) + 1)}
    )
    with pytest.raises(UsageCapExceeded, match="Usage cap exceeded: Monthly product cap") as caught:
        client_for(httpserver, sleep=sleeps).space_status("1DXxyRYNejbKM")
    assert len(httpserver.log) == 1
    assert sleeps == []
    assert_no_token(caught.value)


def test_a_retry_after_header_is_left_to_the_client_not_slept_on_by_urllib3(httpserver):
    # urllib3 retries a 429 that carries Retry-After even with no status retries, sleeping for as long as
    # the header says: the usage cap must still stop at the first answer, without any wait.
    httpserver.expect_request("/2/spaces/1DXxyRYNejbKM").respond_with_json(
        USAGE_CAP, status=429, headers={"x-rate-limit-reset": str(int(NOW) + 1), "Retry-After": "1"}
    )
    with pytest.raises(UsageCapExceeded):
        client_for(httpserver, sleep=Sleeps()).space_status("1DXxyRYNejbKM")
    assert len(httpserver.log) == 1


def test_usage_cap_mid_pagination_is_a_partial_fetch(httpserver):
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(
        count_page([(15, 1)], next_token="page2")
    )
    httpserver.expect_ordered_request("/2/tweets/counts/recent").respond_with_json(USAGE_CAP, status=429)
    with pytest.raises(PartialFetch, match="Usage cap exceeded") as caught:
        client_for(httpserver).tweet_counts_recent(["vote"], {"vote": "PTI"})
    assert caught.value.partial.height == 1
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_a_rejected_token(httpserver, status):
    httpserver.expect_request("/2/spaces").respond_with_json({**UNAUTHORIZED, "status": status}, status=status)
    with pytest.raises(PulseError, match=rf"X API rejected the token \(HTTP {status}\)") as caught:
        client_for(httpserver).spaces_by_ids(["1DXxyRYNejbKM"], HOST_PARTY)
    assert_no_token(caught.value)


def test_malformed_html_body_names_the_endpoint(httpserver):
    httpserver.expect_request("/2/spaces").respond_with_data(
        "<html><body>Welcome to the captive portal</body></html>", content_type="text/html"
    )
    with pytest.raises(FetchError, match=r"X API /spaces: the answer is not JSON \(got text/html\)") as caught:
        client_for(httpserver).spaces_by_ids(["1DXxyRYNejbKM"], HOST_PARTY)
    assert_no_token(caught.value)


def test_json_without_data_or_meta_is_malformed(httpserver):
    httpserver.expect_request("/2/tweets/counts/recent").respond_with_json({"hello": "world"})
    with pytest.raises(FetchError, match="X API /tweets/counts/recent: the answer has neither data nor meta"):
        client_for(httpserver).tweet_counts_recent(["vote"], {"vote": "PTI"})


def test_a_server_echoing_the_token_is_scrubbed(httpserver):
    httpserver.expect_request("/2/spaces/1DXxyRYNejbKM").respond_with_json(
        {"title": "Invalid Request", "detail": f"bad header: Bearer {TOKEN}"}, status=400
    )
    with pytest.raises(FetchError, match="HTTP 400 Bad Request") as caught:
        client_for(httpserver).space_status("1DXxyRYNejbKM")
    assert_no_token(caught.value)


def test_refused_connection_hides_the_token():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # Nothing listens on the port now; no connection retries, to keep the test fast.
    session = make_session(retries=0, retry_statuses=())
    client = XClient(TOKEN, base_url=f"http://127.0.0.1:{port}/2", session=session, sleep=Sleeps(), clock=lambda: NOW)
    with pytest.raises(FetchError, match=r"X API /spaces/1DXxyRYNejbKM: could not connect") as caught:
        client.space_status("1DXxyRYNejbKM")
    assert_no_token(caught.value)


def test_the_token_is_not_in_the_repr(httpserver):
    client = client_for(httpserver)
    assert TOKEN not in repr(client) and TOKEN not in str(client)
    assert "hidden" in repr(client)


def test_token_from_env_else_the_secrets_file(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    monkeypatch.delenv("X_BEARER_TOKEN", raising=False)
    with pytest.raises(PulseError, match="no X API bearer token: set X_BEARER_TOKEN or x_bearer_token"):
        token_from_env(secrets)
    secrets.write_text('x_bearer_token = "from-the-secrets-file"\n')
    assert token_from_env(secrets) == "from-the-secrets-file"  # where the message says it may be
    monkeypatch.setenv("X_BEARER_TOKEN", f" {TOKEN}\n")
    assert token_from_env(secrets) == TOKEN


def test_track_space_stores_each_sample_as_it_arrives(httpserver, tmp_path):
    store = Store(tmp_path)
    states = [("live", 10), ("live", 30), ("ended", None)]
    on_disk_at_each_poll = []

    def status(request: Request) -> Response:
        # What was persisted before this poll: each sample is on disk before the next request.
        path = tmp_path / "space_samples.csv"
        on_disk_at_each_poll.append(path.read_text().count("\n") - 1 if path.exists() else 0)
        state, count = states[len(on_disk_at_each_poll) - 1]
        data = {"id": "1DXxyRYNejbKM", "state": state}
        if count is not None:
            data["participant_count"] = count
        return Response(json.dumps({"data": data}), content_type="application/json")

    httpserver.expect_request(
        "/2/spaces/1DXxyRYNejbKM", query_string={"space.fields": "state,participant_count"}
    ).respond_with_handler(status)
    ticks = iter([NOW, NOW + 60, NOW + 120])
    client = XClient(TOKEN, base_url=httpserver.url_for("/2"), sleep=Sleeps(), clock=lambda: next(ticks))
    monotonic = iter([0.0, 2.0, 125.0])
    sleeps = Sleeps()

    taken = track_space(client, "1DXxyRYNejbKM", 60, store.append_samples, sleep=sleeps, now=lambda: next(monotonic))

    assert taken == 2
    assert on_disk_at_each_poll == [0, 1, 2]
    # Fixed rate: the 2 s the first poll took come off the first pause; after a late poll
    # (125 s, due at 120 s) the next one goes at once.
    assert sleeps == [58.0, 0.0]
    assert (tmp_path / "space_samples.csv").read_text() == (
        "space_id,at,participants\n"
        "1DXxyRYNejbKM,2024-02-01T17:00:00.000000Z,10\n"
        "1DXxyRYNejbKM,2024-02-01T17:01:00.000000Z,30\n"
    )


def test_summarise_samples_by_hand():
    samples = pl.DataFrame(
        {
            "space_id": ["A", "B", "A", "A"],
            "at": [utc(2024, 2, 1, 17, 2), utc(2024, 2, 1, 20), utc(2024, 2, 1, 17), utc(2024, 2, 1, 17, 1)],
            "participants": [20, 7, 10, 30],
        }
    )
    # A, in time order: 10 at 0 s, 30 at 60 s, 20 at 120 s. Trapezoids: (10+30)/2*60 = 1200 and
    # (30+20)/2*60 = 1500; 2700 over 120 s = 22.5. B has one sample: its average is that sample.
    expected = pl.DataFrame(
        {"space_id": ["A", "B"], "peak_listeners": [30, 7], "avg_listeners": [22.5, 7.0]},
        schema={"space_id": pl.String, "peak_listeners": pl.Int64, "avg_listeners": pl.Float64},
    )
    assert summarise_samples(samples).sort("space_id").equals(expected)


def test_summarise_uneven_gaps_weighs_by_time():
    samples = pl.DataFrame(
        {
            "space_id": ["A", "A", "A"],
            "at": [utc(2024, 2, 1, 17), utc(2024, 2, 1, 17, 0, 10), utc(2024, 2, 1, 17, 1, 40)],
            "participants": [0, 100, 100],
        }
    )
    # (0+100)/2*10 = 500 and 100*90 = 9000: 9500 over 100 s = 95 (a plain mean would say 66.7).
    assert summarise_samples(samples)["avg_listeners"].to_list() == [95.0]


def test_a_streams_viewers_summarise_by_the_same_rule_as_a_spaces_listeners():
    samples = pl.DataFrame(
        {
            "stream_id": ["v", "v", "v"],
            "at": [utc(2024, 2, 1, 17), utc(2024, 2, 1, 17, 0, 10), utc(2024, 2, 1, 17, 1, 40)],
            "viewers": [0, 100, 100],
        }
    )
    # The same curve as above: 9500 viewer-seconds over 100 s = 95, under the stream's own column names.
    summary = summarise_samples(samples, "stream_id", "viewers", ("peak_viewers", "avg_viewers"))
    assert summary.rows() == [("v", 100, 95.0)]
    assert summary.columns == ["stream_id", "peak_viewers", "avg_viewers"]


def test_the_default_api_root_is_the_public_x_api():
    assert x_api.DEFAULT_BASE_URL == "https://api.x.com/2"
