"""YouTube's JSON answers turned into what the app stores: a video's live-stream details, checked on the way in, and
rows of the streams contract. The requests that fetch them are pulse.connectors.youtube."""

from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from pulse.data.contract import MAX_COUNT, STREAMS
from pulse.errors import FetchError
from pulse.escape import log_text

PLATFORM = "youtube"
WATCH_URL = "https://www.youtube.com/watch?v="
STATES = ("live", "upcoming", "none")  # snippet.liveBroadcastContent


@dataclass(frozen=True)
class Video:
    """One video's live-stream details as videos.list gives them (times in UTC)."""

    video_id: str
    state: str  # live, upcoming or none (a stream that has ended, or never was one)
    title: str | None
    channel_id: str | None
    channel_title: str | None
    scheduled_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    viewers: int | None  # concurrentViewers: absent when the owner hides it, and after the stream ends
    is_stream: bool  # has liveStreamingDetails: live, upcoming or a stream that has ended

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


def video_from(item: object, where: str) -> Video:
    """A videos.list item, checked: a FetchError naming the field that is not what the API sends."""
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise FetchError(f"{where}: a video without an id")
    video_id = item["id"]
    snippet = _object(item.get("snippet"))
    details = item.get("liveStreamingDetails")
    live = _object(details)
    state = snippet.get("liveBroadcastContent", "none")
    if state not in STATES:
        raise FetchError(f"{where}: video {video_id}: liveBroadcastContent {log_text(repr(state))[:40]} is unknown")
    return Video(
        video_id=video_id,
        state=state,
        title=_text(snippet.get("title")),
        channel_id=_text(snippet.get("channelId")),
        channel_title=_text(snippet.get("channelTitle")),
        scheduled_at=_time(live.get("scheduledStartTime"), f"{where}: video {video_id}: scheduledStartTime"),
        started_at=_time(live.get("actualStartTime"), f"{where}: video {video_id}: actualStartTime"),
        ended_at=_time(live.get("actualEndTime"), f"{where}: video {video_id}: actualEndTime"),
        viewers=_viewers(live.get("concurrentViewers"), f"{where}: video {video_id}"),
        is_stream=isinstance(details, dict),
    )


def streams_frame(videos: list[Video], party: str) -> pl.DataFrame:
    """Live streams (live, upcoming or ended) as rows of the streams contract, filed under `party`; peak and average
    viewers stay empty (they come from the samples)."""
    rows = [
        {
            "stream_id": v.video_id,
            "platform": PLATFORM,
            "party": party,
            "channel_id": v.channel_id,
            "channel_title": v.channel_title,
            "title": v.title,
            "scheduled_at": v.scheduled_at,
            "started_at": v.started_at,
            "ended_at": v.ended_at,
            "peak_viewers": None,
            "avg_viewers": None,
            "rally_id": None,
            "source_url": WATCH_URL + v.video_id,
        }
        for v in videos
        if v.is_stream
    ]
    frame = pl.DataFrame(rows, schema=STREAMS.schema) if rows else pl.DataFrame(schema=STREAMS.schema)
    return frame.unique("stream_id", keep="first", maintain_order=True)


def _viewers(value: object, where: str) -> int | None:
    """concurrentViewers (a string of digits in the API), as a count the data contract takes; None when absent."""
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT:
        return value
    raise FetchError(f"{where}: concurrentViewers {log_text(repr(value))[:40]} is not a count from 0 to {MAX_COUNT:,}")


def _time(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) > 40:
            raise ValueError
        at = datetime.fromisoformat(value)
        if at.tzinfo is None:
            raise ValueError
        return at.astimezone(UTC)
    except ValueError:
        raise FetchError(f"{where}: {log_text(repr(value))[:50]} is not an ISO 8601 time") from None


def _object(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
