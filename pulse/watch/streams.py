"""The watcher's YouTube jobs: find the watched channels' live and upcoming streams every streams_every, sample each
live one every sample_every until actualEndTime appears, then store its final fields with peak and average.

Every call is counted against the day's quota (pulse.connectors.youtube.Quota), which the state keeps so a restart
counts on. A spent quota pauses both jobs until midnight Pacific time: the job's error says so once, later cycles
skip YouTube without a word, and what was fetched before is kept.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import polars as pl

from pulse.connectors.youtube import KeyRejected, QuotaExceeded, YouTubeClient
from pulse.connectors.youtube_frames import Video, streams_frame
from pulse.data import ingest
from pulse.data.contract import STREAMS
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.errors import PulseError
from pulse.watch import rules
from pulse.watch.settings import WatchConfig

MAX_POLL_FAILURES = 10  # a stream that cannot be polled this many times in a row is no longer sampled
MAX_POLL_BACKOFF_S = 600.0  # a failed poll is tried again after sample_every, doubling up to this


class StreamJobs:
    """Finding and sampling the watched channels' streams, on the watcher's store and state."""

    def __init__(
        self,
        config: WatchConfig,
        store: Store,
        client: YouTubeClient,
        state: dict,
        tz: str,
        writing: Callable[[], AbstractContextManager],
        clock: Callable[[], float],
    ):
        self.config = config
        self.store = store
        self.client = client
        self.state = state
        self.tz = tz
        self._writing = writing
        self._clock = clock
        self.went_live = pl.DataFrame(schema=STREAMS.schema)  # found live since the last alert check
        state.setdefault("stream_tracking", {})
        state.setdefault("youtube_uploads", {})
        quota, saved = client.quota, state.get("youtube_quota") or {}
        quota.daily = config.daily_quota
        if saved:
            quota.day, quota.spent = saved["day"], saved["spent"]
            until = saved.get("exhausted_until")
            quota.exhausted_until = datetime.fromtimestamp(until, UTC) if until is not None else None
        self._keep_quota()

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _keep_quota(self) -> None:
        quota = self.client.quota
        until = quota.exhausted_until.timestamp() if quota.exhausted_until is not None else None
        self.state["youtube_quota"] = {"day": quota.day, "spent": quota.spent, "exhausted_until": until}

    def paused(self) -> bool:
        """Whether the day's quota is spent (until midnight Pacific time)."""
        paused = self.client.quota.paused(self._now())
        self._keep_quota()
        return paused

    def next_times(self) -> list[float]:
        """When a stream is next due for a sample, or the quota's reset while it is spent."""
        if self.paused():
            return [self.client.quota.exhausted_until.timestamp()]
        return [entry["next"] for entry in self.state["stream_tracking"].values()]

    # -- finding -------------------------------------------------------------------------------------------------

    def find(self, lines: list[str]) -> None:
        """Each channel's live and upcoming streams among its newest videos, stored (what was found before a failure
        too); a live one not sampled yet is sampled from now on, and announced. A channel that fails (unknown, a bad
        answer) keeps no other channel back; a spent quota or a rejected key stops the job."""
        found: list[pl.DataFrame] = []
        failed: list[str] = []
        try:
            for channel, party in self.config.channels:
                try:
                    videos = self.client.channel_streams([channel], self.state["youtube_uploads"])
                except (QuotaExceeded, KeyRejected):
                    raise
                except PulseError as error:
                    failed.append(f"channel {channel}: {error}")
                    continue
                found.append(streams_frame(videos, party))
        finally:
            self._keep_quota()
            frame = pl.concat(found) if found else pl.DataFrame(schema=STREAMS.schema)
            if frame.height:
                with self._writing():
                    ingest.merge_fetched_streams(self.store, frame, self.tz, "pulse watch")
        live = frame.filter(pl.col("started_at").is_not_null() & pl.col("ended_at").is_null())
        tracking = self.state["stream_tracking"]
        new = live.filter(~pl.col("stream_id").is_in(list(tracking)))
        for stream_id, party in new.select("stream_id", "party").iter_rows():
            tracking[stream_id] = {"next": self._clock(), "failures": 0, "party": party}
        self.went_live = pl.concat([self.went_live, new])
        upcoming = frame.filter(pl.col("started_at").is_null()).height
        lines.append(f"{live.height} live, {upcoming} upcoming, {new.height} new")
        if failed:
            raise PulseError("; ".join(failed))

    # -- sampling ------------------------------------------------------------------------------------------------

    def sample(self, lines: list[str], fresh: dict[str, int]) -> int:
        """Poll every stream due (one videos call per 50): store a sample where the count is shown, and the final
        fields of those that ended; how many samples were stored."""
        tracking = self.state["stream_tracking"]
        due = [s for s, entry in tracking.items() if entry["next"] <= self._clock()]
        if not due:
            return 0
        try:
            videos = {v.video_id: v for v in self.client.videos(due)}
        except QuotaExceeded:
            raise  # no failure of the streams': they are polled again after the reset
        except PulseError:
            self._back_off(due, lines)
            raise
        finally:
            self._keep_quota()
        at, taken = self.client.now(), 0
        for stream_id in due:
            entry, video = tracking[stream_id], videos.get(stream_id)
            if video is not None and video.state == "live" and not video.ended and video.viewers is not None:
                with self._writing():
                    self.store.append_samples(stream_id, at, video.viewers, "stream_samples")
                fresh[stream_id] = video.viewers
                taken += 1
            if video is None or video.ended or not video.is_stream:
                self._finish(stream_id, entry["party"], video)
                del tracking[stream_id]
                lines.append(f"stream {stream_id} " + ("ended" if video is not None else "gone from YouTube"))
                continue
            entry["failures"] = 0
            # A fixed rate, as for Spaces: a slow answer shortens the next pause; missed ticks are skipped.
            entry["next"] = max(entry["next"] + self.config.sample_every, self._clock())
        return taken

    def _back_off(self, due: list[str], lines: list[str]) -> None:
        """A failed poll is tried again after sample_every, doubling up to MAX_POLL_BACKOFF_S; never at once."""
        for stream_id in due:
            entry = self.state["stream_tracking"][stream_id]
            failures = entry["failures"] + 1
            every = self.config.sample_every
            pause = min(every * 2 ** min(failures - 1, 20), max(MAX_POLL_BACKOFF_S, every))
            entry.update(failures=failures, next=self._clock() + pause)
            if failures >= MAX_POLL_FAILURES:
                del self.state["stream_tracking"][stream_id]
                lines.append(f"stream {stream_id} dropped after {MAX_POLL_FAILURES} failed polls")

    def _finish(self, stream_id: str, party: str, video: Video | None) -> None:
        """Store an ended stream's final fields, with peak and time-weighted average from its samples."""
        if video is not None:
            final = streams_frame([video], party)
        else:  # removed or made private: what is stored, with its figures
            loaded = load_dataset(self.store, "streams")
            final = loaded[0].filter(pl.col("stream_id") == stream_id) if loaded else None
        if final is not None and final.height:
            with self._writing():
                ingest.merge_fetched_streams(self.store, final, self.tz, "pulse watch")

    # -- alerts --------------------------------------------------------------------------------------------------

    def live_alerts(self, now: datetime) -> pl.DataFrame:
        """A stream_live alert for each stream found live since the last check."""
        found, self.went_live = self.went_live, pl.DataFrame(schema=STREAMS.schema)
        return rules.stream_live_alerts(found, now)

    def record_alerts(self, fresh: dict[str, int], now: datetime) -> pl.DataFrame:
        """A stream_record alert for each fresh sample above its party's best earlier peak."""
        loaded = load_dataset(self.store, "streams")
        if loaded is None:
            return rules.stream_live_alerts(pl.DataFrame(schema=STREAMS.schema), now)
        live = pl.DataFrame(
            {"stream_id": list(fresh), "viewers": list(fresh.values())},
            schema={"stream_id": pl.String, "viewers": pl.Int64},
        )
        return rules.stream_record_alerts(live, loaded[0], now)
