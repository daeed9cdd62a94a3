"""`python -m pulse watch --config watch.toml [--data DIR] [--once]`: the war room's one long-running process."""

import argparse
import os
from pathlib import Path

from pulse.config import time_zone
from pulse.data.audit import WATCH
from pulse.data.store import command_store


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `watch` on the `python -m pulse` parser."""
    watch = commands.add_parser(
        "watch",
        help="keep hashtag counts fresh, sample live Spaces and YouTube streams, raise alerts until SIGTERM or Ctrl-C",
    )
    watch.add_argument("--config", type=Path, required=True, metavar="watch.toml", help="what to watch (TOML)")
    watch.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="data directory to keep fresh (default: PULSE_DATA_DIR or data/; the bundled sample only when named here)",
    )
    watch.add_argument("--once", action="store_true", help="run every due job once and exit (for cron)")
    watch.set_defaults(run=run_watch)


def run_watch(args: argparse.Namespace) -> int:
    # Imported here: the API clients and requests are for this command, not for export or rollup (which share the
    # parser).
    from pulse.connectors import youtube
    from pulse.connectors.x_api import BASE_URL_ENV, XClient, base_url_from_env, token_from_env
    from pulse.watch.lock import WatchLock
    from pulse.watch.runner import X_DEADLINE_S, YOUTUBE_DEADLINE_S, Shutdown, Watcher
    from pulse.watch.settings import described, read_config, webhooks_from

    store = command_store(args.data, WATCH)  # first: a war room pointed at the sample is told where to go instead
    config = read_config(args.config)
    webhooks = webhooks_from(config)
    # Each platform's credential only when the config watches something there.
    token = token_from_env() if config.hashtags or config.hosts else None
    key = youtube.key_from_env() if config.channels else None
    tz = time_zone()
    lock = WatchLock(store.root)
    lock.acquire()
    try:
        shutdown = Shutdown()
        client = videos = None
        if token is not None:
            # No waiting inside the client for a rate limit: the job reports it and runs again when next due.
            # X_API_BASE_URL, else the config's [x] base_url, else the public API.
            base_url = base_url_from_env(os.environ.get(BASE_URL_ENV) or config.base_url)
            client = XClient(token, base_url=base_url, sleep=shutdown.sleep, max_wait_s=0, deadline_s=X_DEADLINE_S)
        if key is not None:
            # YOUTUBE_API_BASE_URL, else the config's [youtube] base_url, else the public API.
            base_url = youtube.base_url_from_env(os.environ.get(youtube.BASE_URL_ENV) or config.youtube_base_url)
            quota = youtube.Quota(daily=config.daily_quota)
            videos = youtube.YouTubeClient(key, base_url=base_url, quota=quota, deadline_s=YOUTUBE_DEADLINE_S)
        watcher = Watcher(config, store, client, webhooks, tz, shutdown=shutdown, log=_say, youtube=videos)
        _say(
            f"Watching {store.root} for {described(config, webhooks)} (PID {lock.pid}); "
            + ("one pass." if args.once else "SIGTERM or Ctrl-C stops.")
        )
        return watcher.run(once=args.once)
    finally:
        lock.release()


def _say(line: str) -> None:
    print(line, flush=True)
