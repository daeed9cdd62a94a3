"""X API v2 connector: Spaces, hashtag counts and raw tweets, fetched (their answers become frames of the data
contract in pulse.connectors.x_frames).

Responses follow the public X API v2 shape `{"data": ..., "includes": ..., "meta": ..., "errors": ...}`.
The bearer token is sent in a header only; it never appears in a message, an exception or a repr: every error
a client's method raises has it hidden in any form a server may echo it (pulse.redact).
"""

import functools
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import requests

from pulse.config import SECRETS_FILE, file_secret
from pulse.connectors.x_frames import (
    as_list,
    counts_frame,
    counts_page,
    is_count,
    party_lookup,
    spaces_frame,
    tweets_frame,
    tweets_page,
)
from pulse.data.contract import MAX_COUNT, as_utc
from pulse.errors import FetchError, PulseError
from pulse.escape import log_text
from pulse.http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    TooDeep,
    capped_get,
    fetch_deadline,
    json_within,
    make_session,
    status_message,
)
from pulse.redact import hide_secret

DEFAULT_BASE_URL = "https://api.x.com/2"
TOKEN_ENV = "X_BEARER_TOKEN"
NO_TOKEN = f"no X API bearer token: set {TOKEN_ENV} or x_bearer_token in .streamlit/secrets.toml"
BASE_URL_ENV = "X_API_BASE_URL"  # another server speaking the same API: a proxy, or a local one in tests
SPACE_FIELDS = "participant_count,started_at,ended_at,host_ids,creator_id,title,state,created_at"
MAX_IDS_PER_REQUEST = 100  # the documented maximum of ids / user_ids per Spaces lookup
RESET_MARGIN_S = 1.0  # x-rate-limit-reset has whole seconds and our clock may run behind X's
MAX_RATE_WAITS = 3  # waits for one request before giving up, in case the reset time is wrong
ENDED_STATES = ("ended", "canceled")
# A search or count that follows meta.next_token stops after this many pages (100 tweets each) and keeps them:
# a server that never stops handing out tokens would otherwise hold everything in memory and never return.
MAX_PAGES = 500
MAX_PROBLEM_CHARS = 200  # of an error X describes, at most this much is shown

TWEET_FIELDS = "created_at,author_id,text,public_metrics,entities"
MAX_QUERY_CHARS = 512  # the recent-search endpoint's longest query on the basic plans
_SPACE_ID = re.compile(r"^[A-Za-z0-9]+$")
_USER_ID = re.compile(r"^[0-9]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9_]{1,15}$")


class RateLimited(FetchError):
    """The X API rate limit is reached and the reset is too far ahead to wait for."""

    def __init__(self, message: str, reset_at: datetime | None = None):
        super().__init__(message)
        self.reset_at = reset_at


class UsageCapExceeded(FetchError):
    """The plan's monthly usage cap is reached: no request will succeed until it resets."""


class PartialFetch(PulseError):
    """A fetch stopped at a limit part-way; `.partial` holds every row fetched before it."""

    def __init__(self, message: str, partial: pl.DataFrame, unmapped_hosts: list[str] | None = None):
        super().__init__(message)
        self.partial = partial
        self.unmapped_hosts = unmapped_hosts or []


def token_from_env(secrets: Path = SECRETS_FILE) -> str:
    """The bearer token from X_BEARER_TOKEN, else `x_bearer_token` in .streamlit/secrets.toml (as the message below
    and the Data page promise); a PulseError saying where to put it (never what it is)."""
    token = os.environ.get(TOKEN_ENV, "").strip() or file_secret(secrets, "x_bearer_token")
    if not token:
        raise PulseError(NO_TOKEN)
    return token


def base_url_from_env(given: str | None = None) -> str:
    """The API root: `given` if set, else X_API_BASE_URL, else the public X API."""
    return (given or "").strip() or os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL


def is_hashtag(tag: str) -> bool:
    """Whether `tag` (without '#') can be a hashtag: letters of any script (with their marks), digits and '_', as
    X's hashtags and the data files have them; nothing that could change a search query."""
    return bool(tag) and all(c.isalnum() or c == "_" or unicodedata.category(c).startswith("M") for c in tag)


def space_id_from(text: str) -> str:
    """A Space id from the id itself or a link to the Space (https://x.com/i/spaces/<id>...)."""
    text = (text or "").strip()
    if "/spaces/" in text:
        text = text.split("/spaces/", 1)[1].split("?", 1)[0].split("#", 1)[0].split("/", 1)[0]
    (space_id,) = _checked([text], _SPACE_ID, "Space id")
    return space_id


def _hides_token(method):
    """Errors raised by an XClient method carry no form of the token, should a server ever echo it back."""

    @functools.wraps(method)
    def hiding(self: "XClient", *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except PulseError as error:
            self._scrub(error)
            raise

    return hiding


class XClient:
    """A client of the X API v2 for one bearer token."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_s: float = 60,
        clock: Callable[[], float] = time.time,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        deadline_s: float | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pages: int = MAX_PAGES,
    ):
        token = (token or "").strip()
        if not token:
            raise PulseError(NO_TOKEN)
        self.base_url = base_url.rstrip("/")
        # No status retries: a 429 is handled here (wait for the reset or stop), and urllib3 would
        # otherwise sleep on it too. Connection failures are still retried.
        self._session = session or make_session(retries=2, retry_statuses=())
        self._sleep = sleep
        self._clock = clock
        self._timeout = timeout
        # As for a URL fetch (pulse.http): one deadline for each request, answer included, and a size cap.
        self._deadline_s = fetch_deadline() if deadline_s is None else deadline_s
        self._max_bytes = max_bytes
        self.max_pages = max_pages
        self.max_wait_s = max_wait_s
        self.__token = token

    def __repr__(self) -> str:
        return f"XClient(base_url={self.base_url!r}, token=<hidden>)"

    # -- transport ----------------------------------------------------------------------------

    @_hides_token
    def _get(self, path: str, params: dict[str, str], not_found_ok: bool = False) -> dict:
        """GET an endpoint and return its JSON object; limits, rejections and bad bodies raise."""
        url = f"{self.base_url}{path}"
        where = f"X API {path}"
        waits = 0
        while True:
            response, content = self._answer(url, params, where)
            try:
                body = _json_object(content)
            except TooDeep as error:
                raise FetchError(f"{where}: the answer's JSON is {error}: refused") from None
            if response.status_code != 429:
                break
            if _usage_capped(body):
                # Waiting does not help: the cap resets with the billing period, not in minutes.
                detail = _problem({"detail": body.get("detail")}) or "Usage cap exceeded"
                raise UsageCapExceeded(f"{where}: {detail}; no request will succeed until the plan's cap resets")
            reset_at = _reset_time(response)
            if reset_at is None:
                raise RateLimited(f"{where}: rate limited, and X did not say until when; try again in 15 minutes")
            wait = reset_at.timestamp() - self._clock()
            if wait > self.max_wait_s or waits >= MAX_RATE_WAITS:
                raise RateLimited(f"{where}: rate limited until {reset_at:%H:%M} UTC", reset_at)
            self._sleep(max(wait, 0.0) + RESET_MARGIN_S)
            waits += 1

        if response.status_code in (401, 403):
            raise PulseError(
                f"X API rejected the token (HTTP {response.status_code}) for {path}: check {TOKEN_ENV} "
                "or x_bearer_token in .streamlit/secrets.toml, and that your X plan includes this endpoint"
            )
        if response.status_code >= 400:
            detail = _problem(body)
            raise FetchError(f"{where}: {status_message(response)}" + (f" ({detail})" if detail else ""))
        if body is None:
            kind = log_text(response.headers.get("Content-Type", "unknown type").split(";")[0])[:60]
            raise FetchError(f"{where}: the answer is not JSON (got {kind}); check the X API base URL")
        if "data" not in body and "meta" not in body:
            # A lookup in which no id was found answers with errors only: for a batch that is an
            # empty result, not a failure.
            if not_found_ok and _all_not_found(body):
                return body
            if body.get("errors"):
                raise FetchError(f"{where}: {_problem(body)}")
            raise FetchError(f"{where}: the answer has neither data nor meta; check the X API base URL")
        return body

    def _answer(self, url: str, params: dict[str, str], where: str) -> tuple[requests.Response, bytes]:
        """One GET and its body, within the deadline and the size cap."""
        headers = {"Authorization": f"Bearer {self.__token}", "User-Agent": "campaign-pulse"}
        return capped_get(
            self._session,
            url,
            params,
            headers,
            timeout=self._timeout,
            deadline_s=self._deadline_s,
            max_bytes=self._max_bytes,
            where=where,
        )

    def _scrub(self, error: PulseError) -> None:
        """Blank out every form of the token in the error's message."""
        error.args = tuple(hide_secret(a, self.__token) if isinstance(a, str) else a for a in error.args)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- Spaces -------------------------------------------------------------------------------

    @_hides_token
    def spaces_by_ids(self, ids: Iterable[str], host_party: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
        """Spaces by id, mapped onto the spaces contract; also the hosts with no party in host_party."""
        ids = _checked(ids, _SPACE_ID, "Space id")
        return self._spaces("/spaces", "ids", ids, host_party)

    @_hides_token
    def spaces_by_creator_ids(
        self, creator_ids: Iterable[str], host_party: pl.DataFrame
    ) -> tuple[pl.DataFrame, list[str]]:
        """The live and scheduled Spaces created by these user ids, mapped like spaces_by_ids."""
        creator_ids = _checked(creator_ids, _USER_ID, "user id")
        return self._spaces("/spaces/by/creator_ids", "user_ids", creator_ids, host_party)

    def _spaces(
        self, path: str, id_param: str, ids: list[str], host_party: pl.DataFrame
    ) -> tuple[pl.DataFrame, list[str]]:
        party_lookup(host_party)  # a broken host table fails before any request is spent
        data: list[dict] = []
        users: list[dict] = []
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            params = {
                id_param: ",".join(ids[start : start + MAX_IDS_PER_REQUEST]),
                "space.fields": SPACE_FIELDS,
                "expansions": "host_ids",
                "user.fields": "username",
            }
            try:
                body = self._get(path, params, not_found_ok=True)
            except (RateLimited, UsageCapExceeded) as error:
                frame, unmapped = spaces_frame(data, users, host_party, f"X API {path}")
                raise PartialFetch(
                    f"{error} (kept the {frame.height} Space(s) fetched before the limit)", frame, unmapped
                ) from None
            data += as_list(body.get("data"))
            users += as_list((body.get("includes") or {}).get("users"))
        return spaces_frame(data, users, host_party, f"X API {path}")

    @_hides_token
    def space_status(self, space_id: str) -> tuple[str, int | None, datetime]:
        """The state of a Space ('live', 'scheduled', 'ended'), how many are in it now, and when asked."""
        (space_id,) = _checked([space_id], _SPACE_ID, "Space id")
        body = self._get(f"/spaces/{space_id}", {"space.fields": "state,participant_count"})
        at = self._now()
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("state"), str):
            raise FetchError(f"X API /spaces/{space_id}: the answer has no state for the Space")
        count = data.get("participant_count")
        if count is not None and not is_count(count):
            # Stored, it would make every page refuse the samples file; checked as files are checked.
            raise FetchError(
                f"X API /spaces/{space_id}: participant_count {log_text(repr(count))[:40]} is not a count "
                f"from 0 to {MAX_COUNT:,}"
            )
        return data["state"], count, at

    # -- users --------------------------------------------------------------------------------

    def user_ids(self, usernames: Iterable[str]) -> dict[str, str]:
        """Lower-case username (no '@') to user id, for the usernames X knows; unknown ones are left out."""
        names = _checked((str(u).strip().lstrip("@") for u in usernames), _USERNAME, "username")
        found: dict[str, str] = {}
        for start in range(0, len(names), MAX_IDS_PER_REQUEST):
            params = {"usernames": ",".join(names[start : start + MAX_IDS_PER_REQUEST])}
            body = self._get("/users/by", params, not_found_ok=True)
            for user in as_list(body.get("data")):
                if isinstance(user, dict) and _USER_ID.match(_text(user.get("id"))) and _text(user.get("username")):
                    found[user["username"].lower()] = user["id"]
        return found

    # -- hashtag counts -----------------------------------------------------------------------

    @_hides_token
    def tweet_counts_recent(
        self,
        hashtags: list[str],
        party_of: dict[str, str],
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> pl.DataFrame:
        """Hourly tweet counts per hashtag (last 7 days) in the hashtags counts form, every page followed."""
        tags = _hashtags(hashtags, party_of)
        path = "/tweets/counts/recent"
        pages: list[pl.DataFrame] = []

        def kept(error: FetchError) -> PartialFetch:
            partial = counts_frame(pages)
            kept_counts = f"kept the {partial.height} hourly count(s) fetched before the limit"
            return PartialFetch(f"{error} ({kept_counts})", partial)

        for tag, party in tags:
            params = _in_window({"query": f"#{tag}", "granularity": "hour"}, start_time, end_time)
            for body in self._pages(path, params, kept):  # appended page by page: kept() saves what arrived
                pages.append(counts_page(body, tag, party, path))
        return counts_frame(pages)

    # -- raw tweets ---------------------------------------------------------------------------

    def search_recent(
        self,
        query: str,
        party: str,
        start_time: datetime | str | None = None,
        end_time: datetime | str | None = None,
    ) -> tuple[pl.DataFrame, int]:
        """Tweets of the last 7 days matching `query`, in the raw form (one row per tweet and hashtag), every page
        followed; also how many tweets carried no hashtag (left out: the raw form needs one)."""
        query, party = (query or "").strip(), (party or "").strip()
        if not query or len(query) > MAX_QUERY_CHARS:
            raise PulseError(f"a search query needs 1 to {MAX_QUERY_CHARS} characters (got {len(query)})")
        if not party:
            raise PulseError("no party given for the tweets: use --party, e.g. --party PTI")
        path = "/tweets/search/recent"
        params = _in_window({"query": query, "max_results": "100", "tweet.fields": TWEET_FIELDS}, start_time, end_time)
        pages: list[pl.DataFrame] = []

        def kept(error: FetchError) -> PartialFetch:
            partial = tweets_frame(pages)
            count = partial["tweet_id"].n_unique()
            return PartialFetch(f"{error} (kept the {count} tweet(s) fetched before the limit)", partial)

        without = 0
        for body in self._pages(path, params, kept):
            page, bare = tweets_page(body, party, path)
            pages.append(page)
            without += bare
        return tweets_frame(pages), without

    def _pages(self, path: str, params: dict[str, str], kept: Callable[[FetchError], PartialFetch]) -> Iterator[dict]:
        """Every page of `path`, following meta.next_token; a rate limit or usage cap part-way, a token handed out
        twice (the same pages again, for ever) or more than `max_pages` pages raise what `kept` makes of the pages
        that arrived before it."""
        tokens: set[str] = set()
        while True:
            try:
                body = self._get(path, params)
            except (RateLimited, UsageCapExceeded) as error:
                raise kept(error) from None
            yield body
            meta = body.get("meta")
            next_token = meta.get("next_token") if isinstance(meta, dict) else None
            if not next_token:
                return
            if not isinstance(next_token, str) or next_token in tokens:
                raise kept(FetchError(f"X API {path}: the server handed out a page token twice; stopped"))
            if len(tokens) + 1 >= self.max_pages:
                raise kept(FetchError(f"X API {path}: stopped after {self.max_pages} pages, the most one fetch takes"))
            tokens.add(next_token)
            params = {**params, "next_token": next_token}


def _in_window(params: dict[str, str], start_time: datetime | str | None, end_time: datetime | str | None) -> dict:
    """`params` with the X API's start_time and end_time, where given."""
    given = {"start_time": start_time, "end_time": end_time}
    return params | {name: _x_time(at) for name, at in given.items() if at is not None}


def track_space(
    client: XClient,
    space_id: str,
    every_s: float,
    on_sample: Callable[[str, datetime, int], object],
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.monotonic,
) -> int:
    """Poll a Space every `every_s` s until it ends, handing each live sample to on_sample; returns the count."""
    if every_s <= 0:
        raise PulseError(f"the tracking interval must be positive (got {every_s} s)")
    samples = 0
    next_poll = now()
    while True:
        ended, sample = poll_space(client, space_id)
        if ended:
            return samples
        if sample is not None:
            on_sample(space_id, *sample)  # the caller persists it before the next poll
            samples += 1
        # A fixed-rate schedule: a slow answer shortens the next pause instead of shifting all later
        # ones. Ticks missed altogether (a suspended laptop) are skipped, not made up in a burst.
        current = now()
        next_poll = max(next_poll + every_s, current)
        sleep(next_poll - current)


def poll_space(client: XClient, space_id: str) -> tuple[bool, tuple[datetime, int] | None]:
    """One poll of a Space: whether it has ended, and the sample (at, participants) if it is live with a count."""
    # Only live polls with a participant count are samples: the poll that sees the Space ended
    # carries no count for the listening time before it.
    state, participants, at = client.space_status(space_id)
    if state in ENDED_STATES:
        return True, None
    return False, (at, participants) if state == "live" and participants is not None else None


# -- helpers ------------------------------------------------------------------------------------


def _json_object(content: bytes) -> dict | None:
    """The answer as a JSON object, parsed within a depth budget (TooDeep beyond it); None when it is none."""
    try:
        body = json_within(content)
    except TooDeep:
        raise
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _all_not_found(body: dict) -> bool:
    errors = as_list(body.get("errors"))
    return bool(errors) and all(isinstance(e, dict) and "resource-not-found" in _text(e.get("type")) for e in errors)


def _usage_capped(body: dict | None) -> bool:
    if not body:
        return False
    return (
        body.get("title") == "UsageCapExceeded"
        or "usage-capped" in _text(body.get("type"))
        or "usage cap exceeded" in _text(body.get("detail")).lower()
    )


def _reset_time(response: requests.Response) -> datetime | None:
    raw = response.headers.get("x-rate-limit-reset", "").strip()
    if not raw.isdigit():
        return None
    return datetime.fromtimestamp(int(raw), UTC)


def _problem(body: dict | None) -> str:
    """The first problem an X error body describes ('detail', else 'title', else 'message'): a short excerpt, its
    line breaks and terminal codes escaped, so it can forge no line of a log."""
    if not body:
        return ""
    candidates = [body, *as_list(body.get("errors"))]
    for item in candidates:
        if isinstance(item, dict):
            for field in ("detail", "title", "message"):
                if _text(item.get(field)):
                    problem = log_text(_text(item.get(field)))
                    return problem if len(problem) <= MAX_PROBLEM_CHARS else problem[:MAX_PROBLEM_CHARS] + "…"
    return ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _checked(values: Iterable[str], pattern: re.Pattern, what: str) -> list[str]:
    """Ids stripped, de-duplicated in order and checked, so none can change the URL path or query."""
    cleaned = list(dict.fromkeys(str(v).strip() for v in values if str(v).strip()))
    bad = [v for v in cleaned if not pattern.match(v)]
    if bad:
        raise PulseError(f"not a valid X {what}: {bad[0]!r}")
    if not cleaned:
        raise PulseError(f"no {what}s given")
    return cleaned


def _hashtags(hashtags: list[str], party_of: dict[str, str]) -> list[tuple[str, str]]:
    """(tag without '#', party) for each hashtag, checked before any request is spent."""
    parties = {k.strip().lstrip("#").lower(): v for k, v in party_of.items()}
    tags: dict[str, tuple[str, str]] = {}
    for given in hashtags:
        tag = given.strip().lstrip("#")
        if not is_hashtag(tag):
            raise PulseError(f"not a hashtag: {given!r} (letters, digits and _ only)")
        party = party_of.get(given) or party_of.get(tag) or parties.get(tag.lower())
        if not party:
            raise PulseError(f"no party for hashtag #{tag}: add it to the hashtag-to-party table")
        # X matches hashtags case-insensitively, so #Vote and #vote are one query.
        tags.setdefault(tag.lower(), (tag, party))
    if not tags:
        raise PulseError("no hashtags given")
    return list(tags.values())


def _x_time(value: datetime | str) -> str:
    if isinstance(value, str):
        return value
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")
