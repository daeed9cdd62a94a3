"""The watcher: its jobs (hashtag counts, live Spaces and their samples, alerts and their delivery), run in cycles
until SIGTERM or Ctrl-C, and how it stops without leaving a write half done.

Everything it must remember across a restart lives in the store and in `<data>/.watch/state.json` (see
pulse.watch.state, which the dashboard reads).
"""

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import polars as pl
import requests

from pulse.config import claim_tolerances
from pulse.connectors.x_api import PartialFetch, XClient, poll_space
from pulse.connectors.youtube import YouTubeClient
from pulse.data import ingest
from pulse.data.contract import HASHTAG_COUNTS, HASHTAG_TWEETS, normalise_hashtag
from pulse.data.load import EMPTY_SAMPLES, load_data_dir, load_dataset, with_tracked_audience
from pulse.data.store import MergeSummary, Store, atomic_write
from pulse.errors import PulseError
from pulse.escape import log_text
from pulse.http import make_session, post_json
from pulse.metrics.claims import Tolerances, claim_verdicts
from pulse.watch import alerts, delivery, rules
from pulse.watch.delivery import WEBHOOK_TIMEOUT, Webhook, retry_after
from pulse.watch.settings import WatchConfig
from pulse.watch.state import JobStatus, job_json, jobs_of, read_state, remembered, state_path
from pulse.watch.streams import StreamJobs

HEARTBEAT_S = 30.0  # the watcher writes its heartbeat at least this often, even with nothing due
RECENT = timedelta(days=7)  # how far back X's recent counts endpoint reaches
MAX_POLL_FAILURES = 10  # a Space that cannot be polled this many times in a row is no longer sampled
MAX_POLL_BACKOFF_S = 600.0  # a failed poll is tried again after sample_every, doubling up to this
# Delivery starts no POST once this much of a cycle went on it (each POST ends within WEBHOOK_DEADLINE_S): a slow
# or dead webhook delays counts and samples by seconds, never stops them. What waits goes out next cycle.
DELIVERY_SLICE_S = 8.0
# One request to X, answer included, ends within this (fetch-x allows a URL fetch's 60 s): X answers in under a
# second, and a server that drips its answer must not hold the heartbeat and the samples for longer.
X_DEADLINE_S = 20.0
YOUTUBE_DEADLINE_S = 20.0  # the same for a request to YouTube
EXIT_JOB_FAILED = 3  # --once: some job failed; what the others fetched is saved


# -- stopping cleanly --------------------------------------------------------------------------------------------


class Stopping(BaseException):  # noqa: N818 - not an error: the way a cycle unwinds on SIGTERM
    """SIGTERM or Ctrl-C: unwinds the cycle at a point where nothing is half-written."""


class Shutdown:
    """A stop request from a signal: outside a write it unwinds at once; inside one, right after it."""

    def __init__(self):
        self.requested = threading.Event()
        self._writing = 0

    def handle(self, signum: int, frame: object) -> None:
        first = not self.requested.is_set()
        self.requested.set()
        if first and self._writing == 0:
            raise Stopping

    @contextmanager
    def writing(self) -> Iterator[None]:
        """A step that must finish once started: a write, a POST and its record, or an alert check."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1
        if self.requested.is_set() and self._writing == 0:
            raise Stopping

    def sleep(self, seconds: float) -> None:
        if self.requested.wait(max(seconds, 0.0)):
            raise Stopping

    @contextmanager
    def installed(self) -> Iterator[None]:
        """Handle SIGTERM and SIGINT while the watcher runs."""
        previous = {s: signal.signal(s, self.handle) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)


# -- the watcher -------------------------------------------------------------------------------------------------


@dataclass
class CycleReport:
    """What one cycle did, for its log line."""

    counts: list[str] = field(default_factory=list)
    spaces: list[str] = field(default_factory=list)
    streams: list[str] = field(default_factory=list)
    samples: int = 0
    raised: int = 0
    delivered: int = 0
    waiting: int = 0
    errors: list[str] = field(default_factory=list)
    ran: bool = False

    def line(self, at: datetime) -> str:
        parts = [f"{at:%Y-%m-%d %H:%M:%S} UTC"]
        if self.counts:
            parts.append("counts: " + ", ".join(self.counts))
        if self.spaces:
            parts.append("spaces: " + ", ".join(self.spaces))
        if self.streams:
            parts.append("streams: " + ", ".join(self.streams))
        parts.append(f"samples: {self.samples}")
        parts.append(f"alerts: {self.raised} raised, {self.delivered} delivered, {self.waiting} waiting")
        if self.errors:
            parts.append("errors: " + "; ".join(self.errors))
        return " | ".join(parts)


class Watcher:
    """The jobs of `pulse watch` on one store: counts, live Spaces, YouTube streams, samples, alerts and delivery."""

    def __init__(
        self,
        config: WatchConfig,
        store: Store,
        client: XClient | None,
        webhooks: list[Webhook],
        tz: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
        log: Callable[[str], None] = print,
        session: requests.Session | None = None,
        shutdown: Shutdown | None = None,
        youtube: YouTubeClient | None = None,
    ):
        self.config = config
        self.store = store
        self.client = client
        self.webhooks = webhooks
        self.tz = tz
        self.shutdown = shutdown or Shutdown()
        self._clock = clock
        self._sleep = sleep or self.shutdown.sleep
        # Every line escapes control characters: X's error messages and the data's text reach it.
        self._log = lambda line: log(log_text(line))
        self._session = session or make_session(retries=0)
        self._rallies_version: int | None = None
        state = read_state(store.root)
        self.state, dropped = remembered(state)
        if dropped:
            self._log(f"the watcher state's {', '.join(dropped)} is not what a watcher writes: starting it afresh")
        # The jobs whose outcome the dashboard shows, with the interval it judges them by. Delivery runs every
        # cycle (each alert has its own retry time), so a cycle is its interval.
        self.streams = None
        if youtube is not None and config.channels:
            self.streams = StreamJobs(config, store, youtube, self.state, tz, self.shutdown.writing, clock)
        every = {
            "counts": config.counts_every,
            "spaces": config.spaces_every,
            "streams": config.streams_every,
            "delivery": HEARTBEAT_S,
        }
        configured = {"counts": config.hashtags, "spaces": config.hosts, "streams": self.streams, "delivery": webhooks}
        try:
            restored = {job.job: job for job in jobs_of(state)}
        except PulseError:
            restored = {}  # not what a watcher writes: the jobs start afresh
        self.jobs = {
            name: replace(restored.get(name, JobStatus(name, seconds)), every=seconds)
            for name, seconds in every.items()
            if configured[name]
        }
        self._started_at = clock()
        self._last_cycle = str(state.get("last_cycle", ""))

    def __repr__(self) -> str:
        return f"Watcher({self.store!r}, {self.config!r})"

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- the loop ------------------------------------------------------------------------------------------------

    def run(self, once: bool = False) -> int:
        """Run cycles until SIGTERM or Ctrl-C (or one cycle with `once`); 0, or EXIT_JOB_FAILED if `once` failed."""
        failed = False
        with self.shutdown.installed():
            try:
                while True:
                    failed = bool(self.cycle(log_idle=once).errors)
                    if once:
                        break
                    self._sleep(self._pause())
            except Stopping:
                self._log(f"{self._now():%Y-%m-%d %H:%M:%S} UTC | stopped by a signal; every write is complete")
            finally:
                self._save_state(stopped=True)
        return EXIT_JOB_FAILED if once and failed else 0

    def _due(self, job: str) -> bool:
        next_try = self.jobs[job].next_try
        return next_try is None or self._now() >= next_try

    def _pause(self) -> float:
        """Seconds until the next job is due, at most HEARTBEAT_S."""
        now = self._clock()
        times = [now + HEARTBEAT_S]
        times += [job.next_try.timestamp() for job in self.jobs.values() if job.next_try is not None]
        times += [entry["next"] for entry in self.state["tracking"].values()]
        times += self.streams.next_times() if self.streams is not None else []
        return max(min(times) - now, 0.0)

    def cycle(self, log_idle: bool = False) -> CycleReport:
        """Run every due job once, then check alerts and deliver them; log one line if any job ran (or always,
        with `log_idle`: a --once run says so even when nothing was due)."""
        report = CycleReport()
        counted = False
        if "counts" in self.jobs and self._due("counts"):
            counted = self._step(report, "counts", lambda: self._fetch_counts(report), "counts")
        if "spaces" in self.jobs and self._due("spaces"):
            self._step(report, "spaces", lambda: self._find_spaces(report), "spaces")
        fresh: dict[str, int] = {}
        now = self._clock()
        for space_id in [s for s, entry in self.state["tracking"].items() if entry["next"] <= now]:
            self._step(report, f"Space {space_id}", lambda s=space_id: self._sample(s, fresh, report))
        streaming: dict[str, int] = {}
        if self.streams is not None and not self.streams.paused():  # a spent quota: nothing until the reset
            if self._due("streams"):
                self._step(report, "streams", lambda: self.streams.find(report.streams), "streams")
            if not self.streams.paused():
                self._step(report, "stream samples", lambda: self._sample_streams(report, streaming))
        self._step(report, "alerts", lambda: self._check_alerts(report, counted, fresh, streaming))
        self._step(report, "delivery", lambda: self._deliver(report))
        report.ran = report.ran or bool(fresh) or bool(streaming)
        self._save_state(last_cycle=report.line(self._now()) if report.ran else None)
        if report.ran or log_idle:
            self._log(report.line(self._now()))
        return report

    def _step(self, report: CycleReport, name: str, job: Callable[[], None], job_key: str | None = None) -> bool:
        """Run one job; an error a user can act on is reported and logged, and the next job still runs. The
        outcome of a scheduled job (`job_key`) is recorded, and the report says when a failed one is tried again."""
        try:
            try:
                job()
            except OSError as error:  # a disk that filled up: every write is atomic, so the store is as it was
                raise PulseError(f"the data directory failed: {error.strerror or error}") from None
        except PulseError as error:
            if job_key is None:
                report.errors.append(f"{name}: {error}")
            else:
                retry = self._record(job_key, str(error)).next_try
                report.errors.append(f"{name}: {error} (next try at {retry:%H:%M:%S} UTC)")
            report.ran = True  # a failure is always logged
            return False
        if job_key is not None:
            self._record(job_key, None)
        report.ran = report.ran or job_key is not None
        return True

    def _record(self, name: str, error: str | None) -> JobStatus:
        """A job's outcome: a success, or a failure (`error`), after which a scheduled job is tried again with
        back-off, 30 s doubling up to its interval, instead of only an interval later."""
        now, job = self._now(), self.jobs[name]
        scheduled = name != "delivery"  # delivery runs every cycle; each alert has its own retry time
        if error is None:
            later = timedelta(seconds=job.every)
            job = replace(job, failures=0, last_success=now, failing_since=None)
        else:
            failures = job.failures + 1
            later = min(retry_after(failures), timedelta(seconds=job.every))
            job = replace(
                job, failures=failures, last_error=error, last_error_at=now, failing_since=job.failing_since or now
            )
        self.jobs[name] = replace(job, next_try=now + later if scheduled else None)
        return self.jobs[name]

    # -- counts --------------------------------------------------------------------------------------------------

    def _fetch_counts(self, report: CycleReport) -> None:
        """Each hashtag's hours after its last stored one (within X's 7 days), merged into the store in one write."""
        now = self._now()
        end = _hour(now)  # the end of the last complete hour
        earliest = _hour(now - RECENT + timedelta(hours=1) - timedelta(microseconds=1))
        stored = self._stored_counts().with_columns(normalise_hashtag(pl.col("hashtag")).alias("hashtag"))
        # Hours stored after the clock (a hand-edited file, a clock set back) say nothing of what was fetched: they
        # must not move the fetch-from point, or the hashtag would be silenced until their date.
        ahead = stored.filter(pl.col("period_start") > now)
        if ahead.height:
            latest_ahead = ahead["period_start"].max()
            report.counts.append(
                f"{ahead.height} stored hour(s) after the clock (the latest {latest_ahead:%Y-%m-%d %H:00} UTC) "
                "ignored for where to fetch from"
            )
        latest = (
            stored.filter(pl.col("period_start") <= now).group_by("hashtag", "party").agg(pl.col("period_start").max())
        )
        last_stored = {(tag, party): last for tag, party, last in latest.iter_rows()}
        frames: list[pl.DataFrame] = []
        asked: set[tuple[str, str]] = set()
        try:
            for tag, party in self.config.hashtags:
                if (tag.lower(), party) in asked:
                    continue  # one hashtag listed twice: one request, one set of rows
                asked.add((tag.lower(), party))
                last = last_stored.get((tag.lower(), party))  # config tags come without '#'
                start = max(last + timedelta(hours=1), earliest) if last is not None else earliest
                if start < end:
                    frames.append(self.client.tweet_counts_recent([tag], {tag: party}, start, end))
        except PartialFetch as error:
            frames.append(error.partial)
            raise
        finally:
            # One write for the whole cycle (and one history copy), whatever stopped it: not one per hashtag.
            fetched = pl.concat(frames) if frames else pl.DataFrame(schema=HASHTAG_COUNTS.schema)
            summary = self._merge_counts(fetched)
            report.counts.append(f"{fetched.height} hour(s) fetched, {summary.added} added, {summary.updated} updated")

    def _stored_counts(self) -> pl.DataFrame:
        loaded = load_dataset(self.store, "hashtags")
        if loaded is None:
            return pl.DataFrame(schema=HASHTAG_COUNTS.schema)
        frame, contract = loaded
        if contract is HASHTAG_TWEETS:
            raise PulseError(
                "the stored hashtags are raw tweets and watch adds hourly counts: watch a data directory of counts"
            )
        return frame

    def _merge_counts(self, frame: pl.DataFrame) -> MergeSummary:
        if frame.is_empty():
            return MergeSummary(0, 0, 0)
        with self.shutdown.writing():
            return ingest.merge(self.store, ingest.inspect_frame(frame, "hashtags", "X API tweet counts"), self.tz)

    # -- live Spaces ---------------------------------------------------------------------------------------------

    def _host_table(self) -> pl.DataFrame:
        """host -> party for the Spaces' hosts: the configured names and ids, and the ids the names resolved to."""
        ids = self.state["user_ids"]
        rows = list(self.config.hosts) + [(ids[u.lower()], p) for u, p in self.config.hosts if u.lower() in ids]
        return pl.DataFrame(rows, schema={"host": pl.String, "party": pl.String}, orient="row").unique()

    def _creator_ids(self, report: CycleReport) -> list[str]:
        """The hosts' user ids; usernames are resolved once and kept in the state."""
        known = self.state["user_ids"]
        names = [u for u, _ in self.config.hosts if not u.isdigit() and u.lower() not in known]
        if names:
            known.update(self.client.user_ids(names))
            missing = [u for u in names if u.lower() not in known]
            if missing:
                report.errors.append(f"spaces: X knows no user {', '.join(missing)}")
        ids = [u if u.isdigit() else known.get(u.lower()) for u, _ in self.config.hosts]
        return [i for i in ids if i is not None]

    def _find_spaces(self, report: CycleReport) -> None:
        ids = self._creator_ids(report)
        if not ids:
            return
        frame, _ = self.client.spaces_by_creator_ids(ids, self._host_table())
        live = frame.filter(pl.col("ended_at").is_null())
        if not live.is_empty():
            with self.shutdown.writing():
                ingest.merge_fetched_spaces(self.store, live, self.tz)
        tracking = self.state["tracking"]
        new = [s for s in live["space_id"].to_list() if s not in tracking]
        for space_id in new:
            tracking[space_id] = {"next": self._clock(), "failures": 0}
        report.spaces.append(f"{live.height} live, {len(new)} new")

    def _sample(self, space_id: str, fresh: dict[str, int], report: CycleReport) -> None:
        entry = self.state["tracking"][space_id]
        try:
            self._poll(space_id, entry, fresh, report)
        except PulseError:
            # A failed poll (or the failed lookup of an ended Space's final fields) is tried again after
            # sample_every, doubling up to MAX_POLL_BACKOFF_S: never at once, which would poll in a busy loop.
            failures = entry.get("failures", 0) + 1
            every = self.config.sample_every
            pause = min(every * 2 ** min(failures - 1, 20), max(MAX_POLL_BACKOFF_S, every))
            entry.update(failures=failures, next=self._clock() + pause)
            if failures >= MAX_POLL_FAILURES:
                del self.state["tracking"][space_id]
                report.spaces.append(f"Space {space_id} dropped after {MAX_POLL_FAILURES} failed polls")
            raise

    def _poll(self, space_id: str, entry: dict, fresh: dict[str, int], report: CycleReport) -> None:
        ended, sample = poll_space(self.client, space_id)
        if sample is not None:
            with self.shutdown.writing():
                self.store.append_samples(space_id, *sample)
            fresh[space_id] = sample[1]
            report.samples += 1
        if ended:
            self._finish(space_id)
            del self.state["tracking"][space_id]
            report.spaces.append(f"Space {space_id} ended")
            report.ran = True
            return
        entry["failures"] = 0
        # A fixed rate, as track_space keeps: a slow answer shortens the next pause; missed ticks are skipped.
        entry["next"] = max(entry["next"] + self.config.sample_every, self._clock())

    def _finish(self, space_id: str) -> None:
        """Store an ended Space's final fields, and its peak and time-weighted average from its samples."""
        frame, _ = self.client.spaces_by_ids([space_id], self._host_table())
        if not frame.is_empty():
            with self.shutdown.writing():
                ingest.merge_fetched_spaces(self.store, frame, self.tz)
        loaded = load_dataset(self.store, "spaces")
        stored = loaded[0].filter(pl.col("space_id") == space_id) if loaded else None
        if stored is None or stored.is_empty():
            return
        # X may forget a Space as soon as it ends: then it ended between the last sample and this poll.
        ended = stored.with_columns(pl.coalesce("ended_at", pl.lit(self._now()).cast(pl.Datetime("us", "UTC"))))
        final = with_tracked_audience(ended, self._samples())
        with self.shutdown.writing():
            ingest.merge(self.store, ingest.inspect_frame(final, "spaces", "pulse watch"), self.tz)

    def _sample_streams(self, report: CycleReport, fresh: dict[str, int]) -> None:
        said = len(report.streams)
        report.samples += self.streams.sample(report.streams, fresh)
        report.ran = report.ran or len(report.streams) > said  # a stream ended or was dropped: worth a line

    def _samples(self) -> pl.DataFrame:
        loaded = load_dataset(self.store, "space_samples")
        return loaded[0] if loaded else EMPTY_SAMPLES

    # -- alerts --------------------------------------------------------------------------------------------------

    def _check_alerts(
        self, report: CycleReport, counted: bool, fresh: dict[str, int], streaming: dict[str, int]
    ) -> None:
        # Whole, not only its write: the messages are formatted by Python inside polars, where a signal's
        # exception would come out as a polars error instead of a clean stop.
        with self.shutdown.writing():
            self._raise_alerts(report, counted, fresh, streaming)

    def _raise_alerts(
        self, report: CycleReport, counted: bool, fresh: dict[str, int], streaming: dict[str, int]
    ) -> None:
        now = self._now()
        found, failed = [], []

        def check(kind: str, rule: Callable[[], pl.DataFrame]) -> bool:
            # Each kind alone: one that cannot be checked (a broken file) keeps no other kind's alerts back.
            try:
                found.append(rule())
            except PulseError as error:
                failed.append(f"{kind}: {error}")
                return False
            return True

        if counted:
            config = self.config
            hour = _hour(now) - timedelta(hours=1)
            sigma, least = config.spike_sigma, config.spike_min_tweets
            check(
                "spikes",
                lambda: rules.spike_alerts(self._stored_counts(), config.hashtags, hour, sigma, least, now, self.tz),
            )
        if fresh:
            check("Space records", lambda: self._record_alerts(fresh, now))
        if self.streams is not None:
            check("streams live", lambda: self.streams.live_alerts(now))
            if streaming:
                check("stream records", lambda: self.streams.record_alerts(streaming, now))
        if counted and self.store.path("claims") is not None:  # a claim's measure moves with the counts
            check("claims", lambda: rules.claim_alerts(self._claims(), now))
        version = self.store.version("rallies")
        rallies_checked = version == self._rallies_version or check("rallies", lambda: self._rally_alerts(now))
        # One alert once, however many rules or config lines found it: a repeated key would fail the whole merge.
        raised = (
            pl.concat(found).unique("alert_id", keep="first", maintain_order=True) if found else alerts.as_frame([])
        )
        report.raised = alerts.add_alerts(self.store, raised)
        # Only once they are stored: a failed save (or check) finds the same news next time.
        if rallies_checked:
            self._rallies_version = version
        news = raised.filter(pl.col("kind") == alerts.RALLY)["alert_id"].to_list()
        if news:
            self.state["rallies_seen"] = sorted(set(self.state["rallies_seen"]) | set(news))
        report.ran = report.ran or bool(report.raised)
        if failed:
            raise PulseError("; ".join(failed))

    def _record_alerts(self, fresh: dict[str, int], now: datetime) -> pl.DataFrame:
        loaded = load_dataset(self.store, "spaces")
        if loaded is None:
            return alerts.as_frame([])
        spaces = with_tracked_audience(loaded[0], self._samples())
        live = pl.DataFrame(
            {"space_id": list(fresh), "participants": list(fresh.values())},
            schema={"space_id": pl.String, "participants": pl.Int64},
        )
        return rules.space_record_alerts(live, spaces, now)

    def _claims(self) -> pl.DataFrame:
        """The stored claims with their verdicts, as the Claims page shows them."""
        data = load_data_dir(self.store.root, self.tz)
        return claim_verdicts(data, None, Tolerances(*claim_tolerances()))

    def _rally_alerts(self, now: datetime) -> pl.DataFrame:
        loaded = load_dataset(self.store, "rallies")
        rallies = loaded[0] if loaded else None
        if rallies is None:
            return pl.DataFrame(schema=alerts.SCHEMA)
        keys = rallies.select(rules.rally_alert_id())["alert_id"].to_list()
        if self.state["rallies_seen"] is None:
            # The first run sees what is there already: only what appears from now on is news.
            self.state["rallies_seen"] = sorted(keys)
            return pl.DataFrame(schema=alerts.SCHEMA)
        return rules.rally_alerts(rallies, set(self.state["rallies_seen"]), now, self.tz)

    def _deliver(self, report: CycleReport) -> None:
        now = self._now()
        pending = delivery.due(alerts.load_alerts(self.store), self.webhooks, now).sort("raised_at", "alert_id")

        def record(row: dict) -> None:
            alerts.update_alerts(self.store, alerts.as_frame([row]))

        failed = []
        started = time.monotonic()
        for row in pending.iter_rows(named=True):
            if time.monotonic() - started >= DELIVERY_SLICE_S:
                report.waiting += 1  # its turn comes next cycle: counts and samples do not wait for it
                continue
            final = delivery.deliver(row, self.webhooks, self._post, now, record, self.shutdown.writing)
            with self.shutdown.writing():
                record(final)
            if final["delivered"]:
                report.delivered += 1
            else:
                report.waiting += 1
                failed.append(f"alert {final['alert_id']}: {final['error']}")
        report.errors += failed
        if pending.height:  # a cycle with nothing to send says nothing of whether sending works
            more = f" (and {len(failed) - 1} more alert(s) not sent)" if len(failed) > 1 else ""
            self._record("delivery", failed[0] + more if failed else None)
        report.ran = report.ran or bool(pending.height)

    def _post(self, webhook: Webhook, body: dict) -> None:
        post_json(
            webhook.url,
            body,
            label=webhook.label,
            session=self._session,
            timeout=WEBHOOK_TIMEOUT,
            deadline_s=delivery.WEBHOOK_DEADLINE_S,
        )

    # -- state ---------------------------------------------------------------------------------------------------

    def _save_state(self, stopped: bool = False, last_cycle: str | None = None) -> None:
        self._last_cycle = last_cycle or self._last_cycle
        state = {
            **self.state,
            "jobs": {name: job_json(job) for name, job in self.jobs.items()},
            "pid": os.getpid(),
            "started_at": self._started_at,
            "updated_at": self._clock(),
            "stopped_at": self._clock() if stopped else None,
            "last_cycle": self._last_cycle,
        }
        content = json.dumps(state, indent=1, sort_keys=True).encode("utf-8")
        path = state_path(self.store.root)
        with nullcontext() if stopped else self.shutdown.writing():
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(path, content)
            except OSError as error:  # a full disk: the last state written stays, and the watcher goes on
                self._log(f"{self._now():%Y-%m-%d %H:%M:%S} UTC | could not save the watcher state: {error.strerror}")


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)
