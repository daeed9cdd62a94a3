"""pulse.http against a real local HTTP server: statuses, retries, time-outs, size cap, messages."""

import socket
import time

import pytest
from werkzeug import Request, Response

from pulse.errors import FetchError
from pulse.http import fetch_bytes, shown_url

SECRET = "sig=s3cret-token"


@pytest.fixture(autouse=True)
def _local_servers_allowed(monkeypatch):
    """The test servers listen on loopback, which the fetch refuses unless an administrator allows it."""
    monkeypatch.setenv("PULSE_ALLOW_HOSTS", "127.0.0.1, localhost")


def fast(retries: int = 3) -> dict:
    """Retries without back-off sleeps, so the tests stay fast."""
    return {"retries": retries, "backoff": 0}


def test_returns_the_body_exactly(httpserver):
    body = bytes(range(256)) * 41 + "party,ملک\r\n".encode()
    httpserver.expect_request("/data.csv").respond_with_data(body, content_type="application/octet-stream")
    assert fetch_bytes(httpserver.url_for("/data.csv")) == body


def test_404_names_status_and_url_without_query(httpserver):
    httpserver.expect_request("/missing.csv").respond_with_data("nope", status=404)
    url = httpserver.url_for("/missing.csv") + "?" + SECRET
    with pytest.raises(FetchError) as caught:
        fetch_bytes(url, **fast())
    message = str(caught.value)
    assert "HTTP 404 Not Found: check the address" in message
    assert httpserver.url_for("/missing.csv") in message
    assert SECRET not in message and "s3cret" not in message


def test_500_then_200_is_retried(httpserver):
    httpserver.expect_ordered_request("/flaky").respond_with_data("busy", status=500)
    httpserver.expect_ordered_request("/flaky").respond_with_data("a,b\n1,2\n")
    assert fetch_bytes(httpserver.url_for("/flaky"), **fast()) == b"a,b\n1,2\n"
    httpserver.check_assertions()
    assert len(httpserver.log) == 2


def test_still_failing_after_retries(httpserver):
    httpserver.expect_request("/down").respond_with_data("boom", status=500)
    with pytest.raises(
        FetchError,
        match=r"still failing after 3 retries: HTTP 500 Internal Server Error",
    ):
        fetch_bytes(httpserver.url_for("/down"), **fast(retries=3))
    assert len(httpserver.log) == 4  # the first try and 3 retries


def test_time_out_is_reported_in_seconds(httpserver):
    def slow(request: Request) -> Response:
        time.sleep(0.6)
        return Response("late")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no answer within 0.2 s") as caught:
        fetch_bytes(
            httpserver.url_for("/slow") + "?" + SECRET,
            **fast(),
            timeout=(2, 0.2),
        )
    assert time.monotonic() - started < 0.6  # not retried
    assert "s3cret" not in str(caught.value)


def test_refused_connection_names_host_and_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port is closed now: nothing listens on it.
    with pytest.raises(
        FetchError,
        match=rf"could not connect to 127\.0\.0\.1:{port}: the connection was refused",
    ):
        fetch_bytes(f"http://127.0.0.1:{port}/data.csv", **fast(retries=1))


def test_empty_body_is_an_error(httpserver):
    httpserver.expect_request("/empty").respond_with_data(b"")
    with pytest.raises(FetchError, match="the URL returned an empty body"):
        fetch_bytes(httpserver.url_for("/empty"))


def test_body_over_the_cap_with_content_length(httpserver):
    httpserver.expect_request("/big").respond_with_data(b"x" * 2000)
    with pytest.raises(FetchError, match="larger than the limit of 1000 bytes"):
        fetch_bytes(httpserver.url_for("/big"), max_bytes=1000)


def test_body_over_the_cap_without_content_length(httpserver):
    # A chunked body has no Content-Length: the cap must stop the stream itself.
    def chunked(request: Request) -> Response:
        return Response((b"y" * 500 for _ in range(10)), content_type="text/csv")

    httpserver.expect_request("/stream").respond_with_handler(chunked)
    with pytest.raises(FetchError, match="larger than the limit of 1000 bytes"):
        fetch_bytes(httpserver.url_for("/stream"), max_bytes=1000)


def test_body_at_the_cap_is_accepted(httpserver):
    httpserver.expect_request("/exact").respond_with_data(b"z" * 1000)
    assert fetch_bytes(httpserver.url_for("/exact"), max_bytes=1000) == b"z" * 1000


@pytest.mark.parametrize("url", ["ftp://example.org/data.csv", "file:///etc/passwd", "data.csv", "http://"])
def test_only_http_and_https(url):
    with pytest.raises(FetchError, match="only http and https URLs are supported"):
        fetch_bytes(url)


def test_shown_url_drops_secrets():
    assert shown_url("https://user:pw@example.org:8443/a/b.csv?token=x#frag") == "https://example.org:8443/a/b.csv"
    assert shown_url("https://example.org/a.csv") == "https://example.org/a.csv"
