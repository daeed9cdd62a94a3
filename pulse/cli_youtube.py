"""`python -m pulse fetch-youtube streams ...` and `python -m pulse track-stream ...`: YouTube live streams into the
store.

The key comes from YOUTUBE_API_KEY, else `youtube_api_key` in .streamlit/secrets.toml, and is never printed; the API
root from --base-url, else YOUTUBE_API_BASE_URL, else the public API. Every fetch is merged through pulse.data.ingest
(validated and audited, as fetch-x's are).
"""

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pulse.cli_x import interval
from pulse.config import time_zone
from pulse.connectors.youtube_frames import Video, streams_frame
from pulse.data import ingest
from pulse.data.audit import cli_actor
from pulse.data.load import load_dataset
from pulse.data.store import Store, command_store
from pulse.errors import PulseError

if TYPE_CHECKING:
    from pulse.connectors.youtube import YouTubeClient


def _youtube():
    """The YouTube client, imported by the commands that use it: `export` and `rollup` never load it (nor requests)."""
    from pulse.connectors import youtube

    return youtube


def _checked(convert):
    def argument(text: str) -> str:
        try:
            return convert(_youtube())(text)
        except PulseError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    return argument


_video_id = _checked(lambda youtube: youtube.video_id_from)
_channel_id = _checked(lambda youtube: youtube.channel_id_from)


def _store_and_api(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="data directory to save into (default: PULSE_DATA_DIR or data/; the bundled sample only when named here)",
    )
    parser.add_argument(
        "--base-url", metavar="URL", help="YouTube API root (default: YOUTUBE_API_BASE_URL or the public API)"
    )


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register fetch-youtube and track-stream on the `python -m pulse` parser."""
    fetch = commands.add_parser("fetch-youtube", help="fetch YouTube live streams (videos.list: 1 quota unit per 50)")
    kinds = fetch.add_subparsers(dest="kind", required=True)
    streams = kinds.add_parser("streams", help="live, upcoming or ended streams, merged into the streams dataset")
    which = streams.add_mutually_exclusive_group(required=True)
    which.add_argument("--videos", nargs="+", type=_video_id, metavar="ID|URL", help="video ids or links")
    which.add_argument(
        "--channels", nargs="+", type=_channel_id, metavar="CHANNEL_ID", help="channels whose live and upcoming streams"
    )
    streams.add_argument("--party", required=True, metavar="P", help="the party code the streams are filed under")
    _store_and_api(streams)
    streams.set_defaults(run=run_fetch_streams)

    track = commands.add_parser("track-stream", help="sample a live stream's viewers until it ends (Ctrl-C stops)")
    track.add_argument("video", type=_video_id, metavar="ID|URL", help="the stream's video id (or a link to it)")
    track.add_argument("--every", type=interval, default=30.0, help="time between polls: 30s, 2m, 45 (default 30s)")
    track.add_argument("--party", metavar="P", help="its party (default: the party it is stored with)")
    _store_and_api(track)
    track.set_defaults(run=run_track_stream)


def _client(args: argparse.Namespace) -> "YouTubeClient":
    youtube = _youtube()
    return youtube.YouTubeClient(youtube.key_from_env(), base_url=youtube.base_url_from_env(args.base_url))


def run_fetch_streams(args: argparse.Namespace) -> int:
    store = command_store(args.data, cli_actor("fetch-youtube"))  # before the fetch: a refused directory costs no unit
    client = _client(args)
    if args.videos:
        videos = client.videos(args.videos)
        found = {v.video_id for v in videos}
        missing = [v for v in args.videos if v not in found]
        if missing:
            print(f"YouTube knows no video {', '.join(missing)} (removed, private, or a typo): not saved.")
        plain = [v.video_id for v in videos if not v.is_stream]
        if plain:
            print(f"Not live streams, not saved: {', '.join(plain)}")
    else:
        videos = client.channel_streams(args.channels, {})
    frame = streams_frame(videos, args.party)
    print(f"Fetched {frame.height:,} stream(s): " + _states(videos) + ".")
    if frame.height:
        summary = ingest.merge_fetched_streams(store, frame, time_zone())
        print(
            f"streams: {summary.added:,} added, {summary.updated:,} updated, {summary.unchanged:,} unchanged "
            f"(store: {store.root})"
        )
    print(f"YouTube quota: {client.quota.spent:,} unit(s) spent by this command.")
    return 0


def _states(videos: list[Video]) -> str:
    live = sum(v.state == "live" for v in videos)
    upcoming = sum(v.state == "upcoming" for v in videos)
    ended = sum(v.is_stream and v.ended for v in videos)
    return f"{live} live, {upcoming} upcoming, {ended} ended"


def _wait(seconds: float) -> None:
    time.sleep(seconds)


def run_track_stream(args: argparse.Namespace) -> int:
    youtube = _youtube()
    store = command_store(args.data, cli_actor("track-stream"))
    party = args.party or _stored_party(store, args.video)
    if party is None:
        raise PulseError(f"stream {args.video} is not stored yet: say whose it is with --party P")
    client = _client(args)
    tz = time_zone()
    started: list[Video] = []
    taken = 0

    def on_start(video: Video) -> None:
        started.append(video)
        ingest.merge_fetched_streams(store, streams_frame([video], party), tz)  # stored while it is live

    def on_sample(video_id: str, at: datetime, viewers: int) -> None:
        nonlocal taken
        store.append_samples(video_id, at, viewers, "stream_samples")  # on disk before the next poll
        taken += 1
        print(f"{at:%Y-%m-%d %H:%M:%S} UTC  {viewers:,} watching", flush=True)

    print(f"Tracking stream {args.video} every {args.every:g} s into {store.root} (Ctrl-C stops).", flush=True)
    try:
        final = youtube.track_stream(client, args.video, args.every, on_sample, sleep=_wait, on_start=on_start)
    except KeyboardInterrupt:
        _keep_figures(store, started, party, tz)
        print(f"Stopped. {_tracked_summary(store, args.video, taken)} Run the command again to go on sampling.")
        return 0
    except PulseError:  # a spent quota, a rejected key, a network failure: what was sampled stays
        _keep_figures(store, started, party, tz)
        print(f"Stopped by an error. {_tracked_summary(store, args.video, taken)}")
        raise
    ingest.merge_fetched_streams(store, streams_frame([final], party), tz)  # its end, peak and average
    print(f"The stream has ended. {_tracked_summary(store, args.video, taken)}")
    print(f"YouTube quota: {client.quota.spent:,} unit(s) spent by this command.")
    return 0


def _keep_figures(store: Store, started: list[Video], party: str, tz: str) -> None:
    """A stopped stream's figures so far; the same command later goes on sampling it."""
    if started:
        ingest.merge_fetched_streams(store, streams_frame(started, party), tz)


def _stored_party(store: Store, video_id: str) -> str | None:
    loaded = load_dataset(store, "streams")
    stored = loaded[0].filter(pl.col("stream_id") == video_id) if loaded else None
    return stored["party"][0] if stored is not None and stored.height else None


def _tracked_summary(store: Store, video_id: str, taken: int) -> str:
    """Samples stored by this run, and the stream's stored peak and time-weighted average."""
    text = f"{taken:,} sample(s) stored by this run"
    try:
        loaded = load_dataset(store, "streams")
    except PulseError as error:
        return f"{text}; could not read the stored stream back: {error}"
    stored = loaded[0].filter(pl.col("stream_id") == video_id) if loaded else None
    if stored is None or stored.is_empty() or stored["peak_viewers"][0] is None:
        return f"{text}; no viewer count stored (hidden by the channel, or not yet measured)."
    peak, avg = stored.select("peak_viewers", "avg_viewers").row(0)
    return f"{text}; peak {peak:,}, average {avg:,.1f} viewers."
