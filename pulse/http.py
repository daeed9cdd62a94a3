"""The one HTTP client of the project: retries with back-off, a size cap, and analyst-facing errors."""

import http
import socket
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from pulse.errors import FetchError

RETRY_STATUSES = (429, 500, 502, 503, 504)
DEFAULT_TIMEOUT = (5, 30)  # (connect, read) seconds
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
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
    retry = Retry(
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
        # Without status retries, a Retry-After must not make urllib3 retry (and sleep) either: it would
        # retry 413/429/503 that carry one, for as long as the header says.
        respect_retry_after_header=bool(retry_statuses),
        # Hand back the last response instead of raising, so the error names the final status.
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


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


def status_message(response: requests.Response) -> str:
    """'HTTP 404 Not Found: check the address' for an error response."""
    code = response.status_code
    try:
        reason = http.HTTPStatus(code).phrase
    except ValueError:
        reason = response.reason or "error"
    advice = _ADVICE.get(code)
    if advice is None:
        advice = "the server failed; try again later" if code >= 500 else "the server rejected the request"
    status = f"HTTP {code} {reason}"
    retries = getattr(getattr(response, "raw", None), "retries", None)
    tried = len(retries.history) if retries is not None and retries.history else 0
    # Mention the retries only when this status was one worth retrying (503 then 404 is just a 404).
    if tried and code in (retries.status_forcelist or ()):
        return f"still failing after {tried} {'retry' if tried == 1 else 'retries'}: {status}: {advice}"
    return f"{status}: {advice}"


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
    session: requests.Session | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> bytes:
    """GET `url` and return its body; any failure is a FetchError an analyst can act on."""
    shown = shown_url(url)
    try:
        parts = urlsplit(url)
        supported = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        supported = False
    if not supported:
        raise FetchError(f"could not download {shown}: only http and https URLs are supported")
    too_big = f"could not download {shown}: the file is larger than the limit of {_size(max_bytes)}"
    own_session = session is None
    session = session or make_session()
    body = bytearray()
    try:
        with session.get(url, stream=True, timeout=timeout) as response:
            if response.status_code >= 400:
                raise FetchError(f"could not download {shown}: {status_message(response)}")
            length = response.headers.get("Content-Length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise FetchError(too_big)
            # Streamed so an unexpectedly huge body stops at the cap instead of filling memory.
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise FetchError(too_big)
    except requests.RequestException as error:
        raise request_error(error, url, timeout) from None
    finally:
        if own_session:
            session.close()
    if not body:
        raise FetchError(f"could not download {shown}: the URL returned an empty body")
    return bytes(body)


def post_json(
    url: str,
    payload: dict,
    *,
    label: str,
    session: requests.Session | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """POST `payload` as JSON to `url`; any failure is a FetchError that names `label`, never the URL.

    A webhook URL is a secret (its path is the credential), so messages show `label` and the host only.
    Not retried here: a POST may have arrived even when its answer did not, so the caller decides when to retry.
    """
    own_session = session is None
    session = session or make_session()
    try:
        response = session.post(url, json=payload, timeout=timeout, allow_redirects=False)
    except requests.RequestException as error:
        raise request_error(error, url, timeout, prefix=f"could not post to {label}") from None
    finally:
        if own_session:
            session.close()
    if response.status_code >= 300:
        raise FetchError(f"could not post to {label}: {status_message(response)}")
