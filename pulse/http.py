"""The one HTTP client of the project: retries with back-off, a size cap, analyst-facing errors, and the guarded
fetch of URLs a user typed (public addresses only, pinned, within one deadline: see pulse.netguard)."""

import http
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urljoin, urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.util import Retry

from pulse.errors import FetchError, PulseError
from pulse.netguard import (
    AllowList,
    Deadline,
    PinnedAdapter,
    RefusedAddress,
    Resolver,
    allow_list,
    checked_addresses,
    pinned_session,
    resolve,
)

RETRY_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_TIMEOUT = (5, 30)  # (connect, read) seconds
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_DEADLINE_S = 60.0  # one URL fetch, redirects and download included
DEADLINE_ENV = "PULSE_FETCH_DEADLINE_S"
MAX_REDIRECTS = 5
MAX_JSON_DEPTH = 64  # an API's answer nested deeper than this is refused before it is parsed
_CHUNK = 64 * 1024

Timeout = float | tuple[float, float] | None

_ADVICE = {
    400: "the server did not accept the request; check the address",
    401: "the server wants a login; the file is not public",
    403: "access denied; the file is not public",
    404: "check the address",
    410: "the file was removed; check the address",
    429: "the server is limiting requests; try again in a few minutes",
}


def make_session(
    retries: int = 3,
    backoff: float = 0.5,
    *,
    retry_statuses: tuple[int, ...] = RETRY_STATUSES,
) -> requests.Session:
    """A session that retries GETs on connection failures and on `retry_statuses`, with back-off."""
    # Without status retries, a Retry-After must not make urllib3 retry (and sleep) either: it would
    # retry 413/429/503 that carry one, for as long as the header says.
    retry = retry_policy(retries, backoff, retry_statuses, respect_retry_after=bool(retry_statuses))
    session = requests.Session()
    adapter = DeadlineAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class DeadlineAdapter(HTTPAdapter):
    """An adapter whose connections the current deadline (see `within`) shuts down when it passes, so a server
    that answers one byte at a time (each within the read time-out) cannot hold a request open."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._current = threading.local()

    @property
    def deadline(self) -> Deadline | None:
        return getattr(self._current, "deadline", None)

    @deadline.setter
    def deadline(self, deadline: Deadline | None) -> None:
        self._current.deadline = deadline

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
        pool.ConnectionCls = _WatchedHTTPSConnection if pool.scheme == "https" else _WatchedHTTPConnection
        pool.conn_kw.update(adapter=self)
        return pool


class _Watched:
    """A urllib3 connection that puts its socket under the adapter's current deadline for each request."""

    def __init__(self, *args, adapter: DeadlineAdapter, **kwargs):
        super().__init__(*args, **kwargs)
        self._adapter = adapter

    def request(self, *args, **kwargs):
        deadline = self._adapter.deadline
        try:
            super().request(*args, **kwargs)  # connects first if the pool had no open connection
        finally:
            if deadline is not None and self.sock is not None:
                deadline.watch(self.sock)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


@contextmanager
def within(session: requests.Session, seconds: float) -> Iterator[Deadline]:
    """One deadline for the requests `session` sends in this block (a session of make_session: its connections
    are shut down when the deadline passes; check `deadline.expired` after a failure)."""
    adapters = [a for a in dict.fromkeys(session.adapters.values()) if isinstance(a, DeadlineAdapter)]
    with Deadline(seconds) as deadline:
        for adapter in adapters:
            adapter.deadline = deadline
        try:
            yield deadline
        finally:
            for adapter in adapters:
                adapter.deadline = None


class TooLarge(FetchError):
    """An answer is larger than the limit its reader allows; the rest of it is never read."""

    def __init__(self, max_bytes: int):
        super().__init__(f"the answer is larger than the limit of {_size(max_bytes)}")
        self.max_bytes = max_bytes


def capped_content(response: requests.Response, max_bytes: int) -> bytes:
    """The body of a streamed response, read chunk by chunk and closed: TooLarge as soon as it passes `max_bytes`
    (decompressed), instead of filling memory."""
    body = bytearray()
    with response:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise TooLarge(max_bytes)
        for chunk in response.iter_content(_CHUNK):
            body += chunk
            if len(body) > max_bytes:
                raise TooLarge(max_bytes)
    return bytes(body)


def capped_get(
    session: requests.Session,
    url: str,
    params: dict[str, str],
    headers: dict[str, str],
    *,
    timeout: Timeout,
    deadline_s: float,
    max_bytes: int,
    where: str,
) -> tuple[requests.Response, bytes]:
    """One GET to an API (a session of make_session) and its body, within one deadline and a size cap: a FetchError
    prefixed with `where` when the answer is too large, too slow or the request fails."""
    with within(session, deadline_s) as deadline:
        try:
            response = session.get(url, params=params, headers=headers, timeout=timeout, stream=True)
            content = capped_content(response, max_bytes)
        except TooLarge as error:
            raise FetchError(f"{where}: {error}") from None
        except requests.RequestException as error:
            if deadline.expired:
                raise _api_too_slow(where, deadline_s) from None
            raise request_error(error, url, timeout, prefix=where) from None
    if deadline.expired:  # the connection was cut mid-answer: what arrived is not all of it
        raise _api_too_slow(where, deadline_s)
    return response, content


def _api_too_slow(where: str, deadline_s: float) -> FetchError:
    return FetchError(f"{where}: no complete answer within {deadline_s:g} s, the limit for one request")


class TooDeep(ValueError):
    """JSON nested deeper than its reader's budget."""


# A JSON string (with its escapes) or a bracket: the brackets outside strings are what nest.
_JSON_NESTING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


def json_within(content: bytes, max_depth: int = MAX_JSON_DEPTH) -> object:
    """`content` parsed as JSON; a ValueError when it is not JSON, TooDeep when it nests deeper than `max_depth`
    (deep enough to make the parser raise RecursionError, or whoever walks the result)."""
    if content.count(b"[") + content.count(b"{") > max_depth:
        depth = 0
        for match in _JSON_NESTING.finditer(content):
            bracket = match.group()
            if bracket in (b"[", b"{"):
                depth += 1
                if depth > max_depth:
                    raise TooDeep(f"nested deeper than {max_depth} levels")
            elif bracket in (b"]", b"}"):
                depth -= 1
    return json.loads(content)


def retry_policy(
    retries: int, backoff: float, retry_statuses: tuple[int, ...] = RETRY_STATUSES, *, respect_retry_after: bool
) -> Retry:
    """Retry GETs on connection failures and on `retry_statuses`, with back-off."""
    return Retry(
        total=retries,
        connect=retries,
        # A read time-out is not retried: a slow server rarely gets faster, and the analyst would
        # wait (retries + 1) times the read time-out before seeing the error.
        read=False,
        status=retries,
        other=0,
        backoff_factor=backoff,
        status_forcelist=retry_statuses,
        allowed_methods=["GET"],
        respect_retry_after_header=respect_retry_after,
        # Hand back the last response instead of raising, so the error names the final status.
        raise_on_status=False,
    )


def shown_url(url: str) -> str:
    """The URL without query string, fragment or credentials, safe to show (they may hold secrets)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return url.split("?", 1)[0].split("#", 1)[0]
    netloc = f"{host}:{port}" if port else host
    if ":" in host:  # an IPv6 literal needs its brackets back
        netloc = f"[{host}]:{port}" if port else f"[{host}]"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    default = 443 if parts.scheme == "https" else 80
    return f"{parts.hostname}:{port or default}"


def _size(n: int) -> str:
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} bytes"


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _read_timeout(timeout: Timeout) -> float | None:
    return timeout[1] if isinstance(timeout, tuple) else timeout


def _connect_timeout(timeout: Timeout) -> float | None:
    return timeout[0] if isinstance(timeout, tuple) else timeout


def _causes(error: BaseException) -> list[BaseException]:
    """The error and everything it wraps: requests and urllib3 nest errors in args, reason and __cause__."""
    seen: list[BaseException] = []
    todo = [error]
    while todo:
        current = todo.pop()
        if current is None or any(current is s for s in seen):
            continue
        seen.append(current)
        todo += [
            current.__cause__,
            current.__context__,
            getattr(current, "reason", None),
        ]
        todo += [a for a in current.args if isinstance(a, BaseException)]
    return seen


class StatusError(FetchError):
    """The server answered with an error status; `status` lets the caller decide whether asking again can help."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def status_text(code: int, reason: str | None = None) -> str:
    """'HTTP 404 Not Found: check the address' for an error status (`reason`: the server's, for a code Python
    does not know)."""
    try:
        reason = http.HTTPStatus(code).phrase
    except ValueError:
        reason = reason or "error"
    advice = _ADVICE.get(code)
    if advice is None:
        advice = "the server failed; try again later" if code >= 500 else "the server rejected the request"
    return f"HTTP {code} {reason}: {advice}"


def status_message(response: requests.Response) -> str:
    """'HTTP 404 Not Found: check the address' for an error response, saying so when retries did not help."""
    code = response.status_code
    status = status_text(code, response.reason)
    retries = getattr(getattr(response, "raw", None), "retries", None)
    tried = len(retries.history) if retries is not None and retries.history else 0
    # Mention the retries only when this status was one worth retrying (503 then 404 is just a 404).
    if tried and code in (retries.status_forcelist or ()):
        return f"still failing after {tried} {'retry' if tried == 1 else 'retries'}: {status}"
    return status


def request_error(
    error: requests.RequestException,
    url: str,
    timeout: Timeout,
    prefix: str | None = None,
) -> FetchError:
    """A FetchError naming the URL (without secrets) and what went wrong, for a requests exception."""
    prefix = prefix or f"could not download {shown_url(url)}"
    causes = _causes(error)
    kinds = tuple(type(c) for c in causes)

    def has(*types: type) -> bool:
        return any(issubclass(k, types) for k in kinds)

    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        reason = "this is not a valid web address"
    elif isinstance(error, requests.exceptions.InvalidSchema):
        reason = "only http and https URLs are supported"
    # urllib3's NewConnectionError subclasses ConnectTimeoutError, so the precise causes come first.
    elif has(urllib3.exceptions.NameResolutionError):
        reason = f"could not connect to {_host_port(url)}: the host name was not found"
    elif has(ConnectionRefusedError):
        reason = f"could not connect to {_host_port(url)}: the connection was refused"
    elif isinstance(error, requests.exceptions.ConnectTimeout):
        limit = _connect_timeout(timeout)
        within = f" within {_seconds(limit)}" if limit is not None else ""
        reason = f"could not connect to {_host_port(url)}{within}"
    elif isinstance(error, requests.exceptions.ReadTimeout) or has(urllib3.exceptions.ReadTimeoutError, socket.timeout):
        limit = _read_timeout(timeout)
        reason = f"no answer within {_seconds(limit)}" if limit is not None else "the server stopped answering"
    elif isinstance(error, requests.exceptions.SSLError):
        reason = f"the secure connection to {_host_port(url)} failed (certificate or TLS problem)"
    elif isinstance(error, requests.exceptions.ChunkedEncodingError) or has(urllib3.exceptions.ProtocolError):
        reason = "the connection broke off during the download; try again"
    elif isinstance(error, requests.exceptions.ContentDecodingError):
        reason = "the server sent a body that could not be decoded"
    elif isinstance(error, requests.exceptions.TooManyRedirects):
        reason = "too many redirects"
    elif isinstance(error, requests.exceptions.ConnectionError):
        reason = f"could not connect to {_host_port(url)}"
    else:
        # str(error) may repeat the full URL with its query string, so only the type is shown.
        reason = f"the request failed ({type(error).__name__})"
    return FetchError(f"{prefix}: {reason}")


def fetch_bytes(
    url: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: Timeout = DEFAULT_TIMEOUT,
    deadline_s: float | None = None,
    retries: int = 3,
    backoff: float = 0.5,
    allowed: AllowList | None = None,
    resolver: Resolver = resolve,
) -> bytes:
    """GET a URL someone typed and return its body; any failure is a FetchError an analyst can act on.

    Every hop (the URL and each redirect) must lead to a public address or one `allowed` (PULSE_ALLOW_HOSTS)
    admits, and is connected to at the address checked. The whole fetch ends within `deadline_s`
    (PULSE_FETCH_DEADLINE_S, default 60 s). A refused fetch says why and shows nothing of any answer.
    """
    allowed = allow_list() if allowed is None else allowed
    seconds = fetch_deadline() if deadline_s is None else deadline_s
    shown = shown_url(url)
    with Deadline(seconds) as deadline:
        # No waiting on a Retry-After header: the server would choose how long the fetch sleeps.
        adapter = PinnedAdapter(deadline, max_retries=retry_policy(retries, backoff, respect_retry_after=False))
        with pinned_session(adapter) as session:
            current = url
            for hop in range(MAX_REDIRECTS + 1):
                response = _hop(session, adapter, current, shown, allowed, resolver, deadline, timeout, hop > 0)
                location = response.headers.get("Location") if response.is_redirect else None
                if location is None:
                    return _body(response, shown, max_bytes, deadline, timeout)
                response.close()  # a redirect's own body is never read
                current = urljoin(current, location)
            raise FetchError(f"could not download {shown}: too many redirects (more than {MAX_REDIRECTS})")


def fetch_deadline() -> float:
    """PULSE_FETCH_DEADLINE_S: the most seconds one URL fetch may take, redirects and download included."""
    text = os.environ.get(DEADLINE_ENV, "").strip()
    try:
        seconds = float(text) if text else DEFAULT_DEADLINE_S
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise PulseError(f"{DEADLINE_ENV} must be a positive number of seconds (got {text!r})")
    return seconds


def _hop(
    session: requests.Session,
    adapter: PinnedAdapter,
    url: str,
    shown: str,
    allowed: AllowList,
    resolver: Resolver,
    deadline: Deadline,
    timeout: Timeout,
    redirected: bool,
) -> requests.Response:
    """One request of a fetch, to an address checked just before; a redirect is returned, not followed."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme.lower() == "https" else 80)
        supported = parts.scheme.lower() in ("http", "https") and bool(host)
    except ValueError:
        supported = False
    if not supported:
        what = "it redirected to an unsupported address" if redirected else "only http and https URLs are supported"
        raise FetchError(f"could not download {shown}: {what}")
    try:
        addresses = checked_addresses(host, port, allowed, resolver)
    except RefusedAddress as refused:
        raise FetchError(f"could not download {shown}: {'it redirected to ' if redirected else ''}{refused}") from None
    if not addresses:
        raise FetchError(f"could not download {shown}: could not connect to {host}:{port}: the host name was not found")
    adapter.pin(host, port, addresses)
    left = deadline.remaining()
    limits = (min(_connect_timeout(timeout) or left, left), min(_read_timeout(timeout) or left, left))
    try:
        response = session.get(url, stream=True, timeout=limits, allow_redirects=False)
    except requests.RequestException as error:
        if deadline.expired or deadline.remaining() <= 0:
            raise _too_slow(shown, deadline) from None
        raise request_error(error, url, timeout, prefix=f"could not download {shown}") from None
    if response.status_code >= 400:
        response.close()
        raise FetchError(f"could not download {shown}: {status_message(response)}")
    return response


def _body(response: requests.Response, shown: str, max_bytes: int, deadline: Deadline, timeout: Timeout) -> bytes:
    """The response's body, streamed so an unexpectedly huge one stops at the cap instead of filling memory."""
    too_big = f"could not download {shown}: the file is larger than the limit of {_size(max_bytes)}"
    body = bytearray()
    with response:
        length = response.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > max_bytes:
            raise FetchError(too_big)
        try:
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(too_big)
        except requests.RequestException as error:
            if deadline.expired:
                raise _too_slow(shown, deadline) from None
            raise request_error(error, response.url, timeout, prefix=f"could not download {shown}") from None
    if deadline.expired:  # the connection was cut mid-body: what arrived is not the whole file
        raise _too_slow(shown, deadline)
    if not body:
        raise FetchError(f"could not download {shown}: the URL returned an empty body")
    return bytes(body)


def _too_slow(shown: str, deadline: Deadline) -> FetchError:
    return FetchError(
        f"could not download {shown}: it took longer than {_seconds(deadline.seconds)}, the limit for one fetch "
        f"({DEADLINE_ENV})"
    )


def post_json(
    url: str,
    payload: dict,
    *,
    label: str,
    session: requests.Session | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    deadline_s: float = DEFAULT_DEADLINE_S,
) -> None:
    """POST `payload` as JSON to `url`; any failure is a FetchError that names `label`, never the URL (a
    StatusError when the server answered with an error status).

    The whole POST, answer included, ends within `deadline_s`, and no byte of the answer's body is read (its
    status says all): a webhook that drips or sends gigabytes holds nothing up.
    A webhook URL is a secret (its path is the credential), so messages show `label` and the host only.
    Not retried here: a POST may have arrived even when its answer did not, so the caller decides when to retry.
    """
    own_session = session is None
    session = session or make_session()
    try:
        with within(session, deadline_s) as deadline:
            try:
                response = session.post(url, json=payload, timeout=timeout, allow_redirects=False, stream=True)
            except requests.RequestException as error:
                if deadline.expired:
                    raise FetchError(f"could not post to {label}: no answer within {_seconds(deadline_s)}") from None
                raise request_error(error, url, timeout, prefix=f"could not post to {label}") from None
            response.close()
    finally:
        if own_session:
            session.close()
    if response.status_code >= 300:
        raise StatusError(f"could not post to {label}: {status_message(response)}", response.status_code)
