"""A local stand-in for the YouTube Data API v3 on pytest-httpserver: channels, playlistItems and videos, and a
search endpoint that only records that it was called (no code path may call it).

What it serves is driven by how often it is asked, not by the clock: each videos.list answer that includes a stream
moves that stream one step along its script, so the same fake works for a command, a watcher with an injected clock,
and one run as a subprocess in real time.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from werkzeug import Request, Response

KEY = "AIzaSyFAKE-fake_key_0123456789abcdefghi"  # 39 characters, as Google's keys are
PREFIX = "/youtube/v3"
QUOTA_BODY = {
    "error": {
        "code": 403,
        "message": 'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started'
        '#quota">quota</a>.',
        "errors": [{"message": "quota", "domain": "youtube.quota", "reason": "quotaExceeded"}],
    }
}
BAD_KEY_BODY = {
    "error": {
        "code": 400,
        "message": "API key not valid. Please pass a valid API key.",
        "errors": [
            {"message": "API key not valid. Please pass a valid API key.", "domain": "global", "reason": "badRequest"}
        ],
        "status": "INVALID_ARGUMENT",
        "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"}],
    }
}


def yt_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Step:
    """What videos.list says of a stream at one lookup: its state and its count (None: hidden or gone)."""

    state: str  # upcoming, live or ended
    viewers: int | None = None


@dataclass
class FakeStream:
    """A video moving one step of `script` per videos.list lookup that names it (the last step stays)."""

    video_id: str
    channel_id: str
    title: str
    script: list[Step]
    scheduled_at: datetime | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    channel_title: str = "PTI Official"
    lookups: int = 0

    def item(self) -> dict:
        step = self.script[min(self.lookups, len(self.script) - 1)]
        self.lookups += 1
        details: dict = {}
        if self.scheduled_at is not None:
            details["scheduledStartTime"] = yt_time(self.scheduled_at)
        if step.state in ("live", "ended") and self.started_at is not None:
            details["actualStartTime"] = yt_time(self.started_at)
        if step.state == "ended" and self.ended_at is not None:
            details["actualEndTime"] = yt_time(self.ended_at)
        if step.state == "live" and step.viewers is not None:
            details["concurrentViewers"] = str(step.viewers)  # a string, as the API sends it
        return {
            "kind": "youtube#video",
            "id": self.video_id,
            "snippet": {
                "title": self.title,
                "channelId": self.channel_id,
                "channelTitle": self.channel_title,
                "liveBroadcastContent": step.state if step.state != "ended" else "none",
            },
            "liveStreamingDetails": details,
        }


@dataclass
class FakeYouTube:
    """The three endpoints, with what each was asked (for assertions)."""

    streams: list[FakeStream] = field(default_factory=list)
    uploads: dict[str, list[str]] = field(default_factory=dict)  # channel id -> its uploads, newest first
    page_size: int = 50  # playlistItems items a page (the real API gives up to maxResults=50)
    quota_after: int | None = None  # answer 403 quotaExceeded to every request after this many
    quota_reason: str = "quotaExceeded"  # or dailyLimitExceeded, which YouTube also sends for a spent day
    key: str = KEY
    asked: list[str] = field(default_factory=list)
    keys_seen: list[str] = field(default_factory=list)

    def install(self, httpserver) -> None:
        httpserver.expect_request(f"{PREFIX}/channels").respond_with_handler(self._channels)
        httpserver.expect_request(f"{PREFIX}/playlistItems").respond_with_handler(self._playlist_items)
        httpserver.expect_request(f"{PREFIX}/videos").respond_with_handler(self._videos)
        httpserver.expect_request(f"{PREFIX}/search").respond_with_handler(self._search)

    def stream(self, video_id: str) -> FakeStream:
        return next(s for s in self.streams if s.video_id == video_id)

    @property
    def searched(self) -> bool:
        return any(a.startswith("search") for a in self.asked)

    def _json(self, body: dict, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, content_type="application/json")

    def _refused(self, request: Request) -> Response | None:
        self.keys_seen.append(request.headers.get("X-Goog-Api-Key", "") + request.args.get("key", ""))
        if request.headers.get("X-Goog-Api-Key") != self.key:
            return self._json(BAD_KEY_BODY, 400)
        if self.quota_after is not None and len(self.asked) > self.quota_after:
            errors = [{"message": "quota", "domain": "youtube.quota", "reason": self.quota_reason}]
            return self._json({"error": {**QUOTA_BODY["error"], "errors": errors}}, 403)
        return None

    def _channels(self, request: Request) -> Response:
        self.asked.append(f"channels {request.args.get('id')}")
        if refused := self._refused(request):
            return refused
        channel = request.args.get("id", "")
        if channel not in self.uploads:
            return self._json({"kind": "youtube#channelListResponse", "items": []})
        uploads = "UU" + channel[2:]
        item = {"id": channel, "contentDetails": {"relatedPlaylists": {"uploads": uploads, "likes": ""}}}
        return self._json({"kind": "youtube#channelListResponse", "items": [item]})

    def _playlist_items(self, request: Request) -> Response:
        playlist, token = request.args.get("playlistId", ""), request.args.get("pageToken")
        self.asked.append(f"playlistItems {playlist}" + (f" {token}" if token else ""))
        if refused := self._refused(request):
            return refused
        videos = self.uploads.get("UC" + playlist[2:], [])
        start = int(token.removeprefix("page")) if token else 0
        page = videos[start : start + min(self.page_size, int(request.args.get("maxResults", "5")))]
        body: dict = {"items": [{"contentDetails": {"videoId": v}} for v in page]}
        if start + len(page) < len(videos):
            body["nextPageToken"] = f"page{start + len(page)}"
        return self._json(body)

    def _videos(self, request: Request) -> Response:
        ids = request.args.get("id", "").split(",")
        self.asked.append(f"videos {','.join(ids)}")
        if refused := self._refused(request):
            return refused
        known = {s.video_id: s for s in self.streams}
        items = [known[i].item() if i in known else _plain_video(i) for i in ids if i]
        return self._json({"kind": "youtube#videoListResponse", "items": items})

    def _search(self, request: Request) -> Response:
        self.asked.append(f"search {request.query_string.decode()}")
        return self._json({"items": []})


def _plain_video(video_id: str) -> dict:
    """An upload that was never a live stream."""
    return {"id": video_id, "snippet": {"title": f"clip {video_id}", "liveBroadcastContent": "none"}}
