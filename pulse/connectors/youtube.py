"""YouTube Data API v3 connector: a channel's uploads playlist, its newest videos, and videos' live-stream details
(their answers become Video records and streams rows in pulse.connectors.youtube_frames).

Three endpoints only, 1 quota unit a call: channels.list, playlistItems.list and videos.list. Never search.list,
which costs 100 units: polled, it would spend a day's quota in hours. Every call is counted against the daily
quota, per Pacific-time day (Google resets it at midnight in America/Los_Angeles); a `403 quotaExceeded` (or
`dailyLimitExceeded`) stops every further call until that reset.

The API key is sent in the X-Goog-Api-Key header only, never in a URL, and hidden in every error the client raises
(pulse.redact), as the X bearer token is.
"""

import functools
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import requests

from pulse.config import SECRETS_FILE, file_secret
from pulse.connectors.youtube_frames import Video, video_from
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

DEFAULT_BASE_URL = "https://www.googleapis.com/youtube/v3"
KEY_ENV = "YOUTUBE_API_KEY"
KEY_SECRET = "youtube_api_key"
BASE_URL_ENV = "YOUTUBE_API_BASE_URL"  # another server speaking the same API: a proxy, or a local one in tests
NO_KEY = f"no YouTube API key: set {KEY_ENV} or {KEY_SECRET} in .streamlit/secrets.toml"
DEFAULT_DAILY_QUOTA = 10_000  # units a project gets a day unless Google granted more
QUOTA_ZONE = ZoneInfo("America/Los_Angeles")  # the quota resets at midnight Pacific time
QUOTA_REASONS = ("quotaExceeded", "dailyLimitExceeded")
KEY_REASONS = ("keyInvalid", "keyExpired", "API_KEY_INVALID")
MAX_IDS_PER_REQUEST = 50  # videos.list takes at most 50 ids, playlistItems.list gives at most 50 a page
MAX_PAGES = 20  # playlistItems pages followed for one channel's newest videos
MAX_PROBLEM_CHARS = 200

_VIDEO_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")
_PLAYLIST_ID = re.compile(r"^[A-Za-z0-9_-]{2,64}$")
_PAGE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,200}$")
_VIDEO_HOSTS = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be")


class QuotaExceeded(FetchError):
    """The day's YouTube quota is spent (Google said so, or the planned daily quota is reached) until `reset_at`."""

    def __init__(self, message: str, reset_at: datetime):
        super().__init__(message)
        self.reset_at = reset_at


class KeyRejected(PulseError):
    """The API key is not valid, or not allowed to call the YouTube Data API: no request will succeed."""


def pacific_day(at: datetime) -> date:
    """The quota day `at` falls in."""
    return at.astimezone(QUOTA_ZONE).date()


def quota_reset(at: datetime) -> datetime:
    """When the quota day of `at` ends (the next midnight Pacific time), in UTC."""
    following = datetime.combine(pacific_day(at) + timedelta(days=1), datetime.min.time(), QUOTA_ZONE)
    return following.astimezone(UTC)


@dataclass
class Quota:
    """The units spent on the current Pacific-time day, against the daily quota; spent until a reset when Google
    says so. The watcher keeps it in its state, so a restart goes on counting the same day."""

    daily: int = DEFAULT_DAILY_QUOTA
    day: str = ""  # ISO date, Pacific time
    spent: int = 0
    exhausted_until: datetime | None = None

    def spend(self, units: int, now: datetime) -> None:
        """Count `units` before a call; QuotaExceeded (and no call) when the day's quota is spent."""
        self._roll(now)
        if self.exhausted_until is not None:
            raise QuotaExceeded(self._spent_message(), self.exhausted_until)
        if self.spent + units > self.daily:
            self.exhausted_until = quota_reset(now)
            raise QuotaExceeded(self._spent_message(), self.exhausted_until)
        self.spent += units

    def exhaust(self, now: datetime) -> datetime:
        """Google answered quotaExceeded: nothing more until the reset, which is returned."""
        self._roll(now)
        self.exhausted_until = quota_reset(now)
        return self.exhausted_until

    def paused(self, now: datetime) -> bool:
        self._roll(now)
        return self.exhausted_until is not None

    def _roll(self, now: datetime) -> None:
        today = pacific_day(now).isoformat()
        if today != self.day:
            self.day, self.spent, self.exhausted_until = today, 0, None

    def _spent_message(self) -> str:
        return (
            f"the YouTube quota for today is spent ({self.spent:,} of {self.daily:,} units counted here); "
            f"it resets at {self.exhausted_until:%Y-%m-%d %H:%M} UTC (midnight Pacific time)"
        )


def key_from_env(secrets: Path = SECRETS_FILE) -> str:
    """The API key from YOUTUBE_API_KEY, else `youtube_api_key` in .streamlit/secrets.toml; a PulseError saying where
    to put it (never what it is)."""
    key = os.environ.get(KEY_ENV, "").strip() or file_secret(secrets, KEY_SECRET)
    if not key:
        raise PulseError(NO_KEY)
    return key


def base_url_from_env(given: str | None = None) -> str:
    """The API root: `given` if set, else YOUTUBE_API_BASE_URL, else the public API."""
    return (given or "").strip() or os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL


def video_id_from(text: str) -> str:
    """A video id from the id itself or a link to it (watch?v=, youtu.be/, /live/, /shorts/, /embed/)."""
    text = (text or "").strip()
    if "/" in text or "?" in text:
        try:
            parts = urlsplit(text if "://" in text else f"https://{text}")
            host = (parts.hostname or "").lower()
        except ValueError:
            host = ""
        if host in _VIDEO_HOSTS:
            if host == "youtu.be":
                text = parts.path.strip("/")
            elif parts.path.rstrip("/") == "/watch":
                text = parse_qs(parts.query).get("v", [""])[0]
            else:
                segments = [s for s in parts.path.split("/") if s]
                if len(segments) == 2 and segments[0] in ("live", "shorts", "embed", "v"):
                    text = segments[1]
    if not _VIDEO_ID.match(text):
        raise PulseError(f"not a YouTube video id or link: {log_text(text)[:80]!r}")
    return text


def channel_id_from(text: str) -> str:
    """A channel id (UC and 22 more letters, digits, - or _), alone or from a youtube.com/channel/ link."""
    text = (text or "").strip()
    if "/channel/" in text:
        text = text.split("/channel/", 1)[1].split("?", 1)[0].split("/", 1)[0]
    if not _CHANNEL_ID.match(text):
        raise PulseError(
            f"not a YouTube channel id: {log_text(text)[:80]!r} (it starts with UC and has 24 characters; a @handle "
            "is not one: find the id on the channel's About page)"
        )
    return text


def _hides_key(method):
    """Errors raised by a YouTubeClient method carry no form of the key, should a server ever echo it back."""

    @functools.wraps(method)
    def hiding(self: "YouTubeClient", *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except PulseError as error:
            error.args = tuple(self._hidden(a) if isinstance(a, str) else a for a in error.args)
            raise

    return hiding


class YouTubeClient:
    """A client of the YouTube Data API v3 for one API key, counting every call against `quota`."""

    def __init__(
        self,
        key: str,
        base_url: str = DEFAULT_BASE_URL,
        quota: Quota | None = None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        deadline_s: float | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_pages: int = MAX_PAGES,
    ):
        key = (key or "").strip()
        if not key:
            raise PulseError(NO_KEY)
        self.base_url = base_url.rstrip("/")
        self.quota = quota or Quota()
        # No status retries: a quota answer must not be asked again, and a Retry-After must not make urllib3 wait.
        self._session = session or make_session(retries=2, retry_statuses=())
        self._clock = clock
        self._timeout = timeout
        self._deadline_s = fetch_deadline() if deadline_s is None else deadline_s
        self._max_bytes = max_bytes
        self.max_pages = max_pages
        self.__key = key

    def __repr__(self) -> str:
        return f"YouTubeClient(base_url={self.base_url!r}, key=<hidden>)"

    def _hidden(self, text: str) -> str:
        return hide_secret(text, self.__key)

    def now(self) -> datetime:
        """The client's clock, in UTC."""
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- transport ----------------------------------------------------------------------------

    @_hides_key
    def _get(self, path: str, params: dict[str, str]) -> dict:
        """GET one of the three endpoints (1 unit, counted first) and return its JSON object."""
        where = f"YouTube API /{path}"
        self.quota.spend(1, self.now())
        response, content = capped_get(
            self._session,
            f"{self.base_url}/{path}",
            params,
            {"X-Goog-Api-Key": self.__key, "User-Agent": "campaign-pulse"},
            timeout=self._timeout,
            deadline_s=self._deadline_s,
            max_bytes=self._max_bytes,
            where=where,
        )
        try:
            body = json_within(content)
        except TooDeep as error:
            raise FetchError(f"{where}: the answer's JSON is {error}: refused") from None
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else None
        if response.status_code >= 400:
            reasons, detail = _problem(body)
            if response.status_code == 403 and any(r in QUOTA_REASONS for r in reasons):
                reset = self.quota.exhaust(self.now())
                raise QuotaExceeded(
                    f"{where}: YouTube says the day's quota is spent; nothing more until {reset:%Y-%m-%d %H:%M} UTC "
                    "(midnight Pacific time)",
                    reset,
                )
            if response.status_code == 403 or any(r in KEY_REASONS for r in reasons):
                raise KeyRejected(
                    f"YouTube rejected the API key (HTTP {response.status_code}"
                    + (f": {detail}" if detail else "")
                    + f") for /{path}: check {KEY_ENV} or {KEY_SECRET} in .streamlit/secrets.toml, and that the "
                    "key's project has the YouTube Data API v3 enabled"
                )
            raise FetchError(f"{where}: {status_message(response)}" + (f" ({detail})" if detail else ""))
        if body is None:
            kind = log_text(response.headers.get("Content-Type", "unknown type").split(";")[0])[:60]
            raise FetchError(f"{where}: the answer is not a JSON object (got {kind}); check the YouTube API base URL")
        return body

    # -- the three endpoints ------------------------------------------------------------------

    @_hides_key
    def uploads_playlist(self, channel_id: str) -> str:
        """The id of a channel's uploads playlist (channels.list, 1 unit): resolve once and keep it."""
        channel_id = channel_id_from(channel_id)
        body = self._get("channels", {"part": "contentDetails", "id": channel_id})
        for item in _list(body.get("items")):
            if isinstance(item, dict) and item.get("id") == channel_id:
                uploads = ((item.get("contentDetails") or {}).get("relatedPlaylists") or {}).get("uploads")
                if isinstance(uploads, str) and _PLAYLIST_ID.match(uploads):
                    return uploads
                raise FetchError(f"YouTube API /channels: channel {channel_id} has no uploads playlist")
        raise PulseError(f"YouTube knows no channel {channel_id}: check the id on the channel's About page")

    @_hides_key
    def newest_video_ids(self, playlist_id: str, limit: int = MAX_IDS_PER_REQUEST) -> list[str]:
        """The ids of the newest videos of a playlist, newest first, following pages until `limit` ids (1 unit a
        page; a page token handed out twice, or MAX_PAGES pages, stop it with what arrived)."""
        if not _PLAYLIST_ID.match(playlist_id or ""):
            raise PulseError(f"not a YouTube playlist id: {log_text(str(playlist_id))[:80]!r}")
        ids: list[str] = []
        tokens: set[str] = set()
        params = {"part": "contentDetails", "playlistId": playlist_id, "maxResults": str(MAX_IDS_PER_REQUEST)}
        for _ in range(self.max_pages):
            body = self._get("playlistItems", params)
            for item in _list(body.get("items")):
                video_id = ((item.get("contentDetails") or {}) if isinstance(item, dict) else {}).get("videoId")
                if isinstance(video_id, str) and _VIDEO_ID.match(video_id) and video_id not in ids:
                    ids.append(video_id)
            token = body.get("nextPageToken")
            if len(ids) >= limit or not isinstance(token, str) or not _PAGE_TOKEN.match(token) or token in tokens:
                break
            tokens.add(token)
            params = {**params, "pageToken": token}
        return ids[:limit]

    @_hides_key
    def videos(self, ids: Iterable[str]) -> list[Video]:
        """Videos' snippet and live-stream details (videos.list, 1 unit per 50 ids); ids YouTube does not know are
        left out."""
        ids = list(dict.fromkeys(video_id_from(i) for i in ids))
        found: list[Video] = []
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            batch = ids[start : start + MAX_IDS_PER_REQUEST]
            body = self._get("videos", {"part": "snippet,liveStreamingDetails", "id": ",".join(batch)})
            found += [video_from(item, "YouTube API /videos") for item in _list(body.get("items"))]
        asked = set(ids)
        return [v for v in found if v.video_id in asked]

    def video(self, video_id: str) -> Video:
        """One video's details; a PulseError when YouTube does not know it."""
        found = self.videos([video_id])
        if not found:
            raise PulseError(f"YouTube knows no video {video_id} (removed, private, or a typo)")
        return found[0]

    @_hides_key
    def channel_streams(self, channel_ids: Iterable[str], uploads: dict[str, str]) -> list[Video]:
        """The live and upcoming streams among each channel's newest videos. `uploads` (channel id -> its uploads
        playlist) is read and filled in, so a channel is resolved once."""
        ids: list[str] = []
        for channel_id in dict.fromkeys(channel_id_from(c) for c in channel_ids):
            if channel_id not in uploads:
                uploads[channel_id] = self.uploads_playlist(channel_id)
            ids += self.newest_video_ids(uploads[channel_id])
        return [v for v in self.videos(ids) if v.state in ("live", "upcoming")]


def poll_stream(client: YouTubeClient, video_id: str) -> tuple[Video, tuple[datetime, int] | None]:
    """One poll of a stream: its details, and the sample (at, viewers) when it is live with a count shown."""
    # No sample when the count is hidden, or once the stream has ended (YouTube drops the count then).
    video = client.video(video_id)
    at = client.now()
    live = video.state == "live" and not video.ended and video.viewers is not None
    return video, (at, video.viewers) if live else None


def track_stream(
    client: YouTubeClient,
    video_id: str,
    every_s: float,
    on_sample: Callable[[str, datetime, int], object],
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.monotonic,
    on_start: Callable[[Video], object] = lambda video: None,
) -> Video:
    """Poll a stream every `every_s` s until actualEndTime appears, handing the first poll's details to on_start and
    each sample to on_sample (which persists it before the next poll); returns the ended video's final details."""
    if every_s <= 0:
        raise PulseError(f"the tracking interval must be positive (got {every_s} s)")
    next_poll = now()
    polls = 0
    while True:
        video, sample = poll_stream(client, video_id)
        if not video.is_stream:
            raise PulseError(f"video {video_id} is not a live stream: there is no audience to sample")
        if polls == 0:
            on_start(video)
        polls += 1
        if sample is not None:
            on_sample(video_id, *sample)
        if video.ended:
            return video
        # A fixed rate, as track_space keeps: a slow answer shortens the next pause; missed ticks are skipped.
        current = now()
        next_poll = max(next_poll + every_s, current)
        sleep(next_poll - current)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _problem(body: dict | None) -> tuple[list[str], str]:
    """The reasons of a Google error body (error.errors[].reason, error.details[].reason) and its message, as a short
    escaped excerpt that can forge no log line."""
    error = (body or {}).get("error")
    if not isinstance(error, dict):
        return [], ""
    reasons = [e.get("reason") for e in _list(error.get("errors")) + _list(error.get("details")) if isinstance(e, dict)]
    message = error.get("message")
    detail = log_text(message) if isinstance(message, str) else ""
    if len(detail) > MAX_PROBLEM_CHARS:
        detail = detail[:MAX_PROBLEM_CHARS] + "…"
    return [r for r in reasons if isinstance(r, str)], detail
