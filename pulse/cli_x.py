"""`python -m pulse fetch-x ...` and `python -m pulse track-space ...`: the X API into the store.

The token comes from X_BEARER_TOKEN, else x_bearer_token in .streamlit/secrets.toml, and is never printed; the API
root from --base-url, else X_API_BASE_URL, else the public API. Every fetch goes through the same merge the Data page
uses.
"""

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pulse.config import interval_seconds, time_zone
from pulse.data import ingest
from pulse.data.audit import cli_actor
from pulse.data.contract import as_utc
from pulse.data.load import load_dataset, read_table, summarise_samples
from pulse.data.store import MergeSummary, Store, command_store
from pulse.errors import PulseError

if TYPE_CHECKING:
    from pulse.connectors.x_api import PartialFetch, XClient

EXIT_PARTIAL = 3  # a limit stopped the fetch part-way: what was fetched is saved, the rest is not


def interval(text: str) -> float:
    """Seconds from `30s`, `2m`, `1h` or a plain number of seconds (`45`)."""
    try:
        return interval_seconds(text)
    except PulseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _utc_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time (e.g. 2024-02-01T12:00:00Z): {text!r}") from None
    return as_utc(value)


def _tag_party(text: str) -> tuple[str, str]:
    tag, _, party = text.partition("=")
    if not tag.strip() or not party.strip():
        raise argparse.ArgumentTypeError(f"expected TAG=PARTY (e.g. ImranKhan=PTI), got {text!r}")
    return tag.strip(), party.strip()


def _x_api():
    """The X client, imported by the commands that use it: `export` and `rollup` never load it (nor requests)."""
    from pulse.connectors import x_api

    return x_api


def _space_id(text: str) -> str:
    try:
        return _x_api().space_id_from(text)
    except PulseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _store_and_api(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="data directory to save into (default: PULSE_DATA_DIR or data/; the bundled sample only when named here)",
    )
    parser.add_argument("--base-url", metavar="URL", help="X API root (default: X_API_BASE_URL or https://api.x.com/2)")


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register fetch-x and track-space on the `python -m pulse` parser."""
    fetch = commands.add_parser("fetch-x", help="fetch Spaces, hashtag counts or raw tweets from the X API")
    kinds = fetch.add_subparsers(dest="kind", required=True)

    spaces = kinds.add_parser("spaces", help="Spaces by id or by creator, merged into the spaces dataset")
    which = spaces.add_mutually_exclusive_group(required=True)
    which.add_argument("--ids", nargs="+", type=_space_id, metavar="ID", help="Space ids (or links to them)")
    which.add_argument("--creators", nargs="+", metavar="USER_ID", help="user ids whose live Spaces to fetch")
    spaces.add_argument(
        "--hosts",
        type=Path,
        required=True,
        metavar="HOSTS.csv",
        help="CSV with columns host,party (username or user id -> party)",
    )
    _store_and_api(spaces)
    spaces.set_defaults(run=run_fetch_spaces)

    counts = kinds.add_parser("counts", help="hourly tweet counts of hashtags (last 7 days) into hashtags")
    counts.add_argument(
        "--hashtag", nargs="+", required=True, type=_tag_party, metavar="TAG=PARTY", help="e.g. ImranKhan=PTI"
    )
    counts.add_argument("--start", type=_utc_time, metavar="ISO", help="first hour, ISO 8601 (default: 7 days ago)")
    counts.add_argument("--end", type=_utc_time, metavar="ISO", help="end, ISO 8601 (default: now)")
    _store_and_api(counts)
    counts.set_defaults(run=run_fetch_counts)

    tweets = kinds.add_parser(
        "tweets", help="raw tweets (last 7 days) of a search, with authors and texts, into raw_tweets"
    )
    tweets.add_argument("--query", required=True, metavar="Q", help='an X search query, e.g. "#ImranKhan -is:retweet"')
    tweets.add_argument("--party", required=True, metavar="P", help="the party code the tweets are filed under")
    tweets.add_argument("--start", type=_utc_time, metavar="ISO", help="earliest time, ISO 8601 (default: 7 days ago)")
    tweets.add_argument("--end", type=_utc_time, metavar="ISO", help="end, ISO 8601 (default: now)")
    _store_and_api(tweets)
    tweets.set_defaults(run=run_fetch_tweets)

    track = commands.add_parser("track-space", help="sample a live Space's listeners until it ends (Ctrl-C stops)")
    track.add_argument("space_id", type=_space_id, help="the Space's id (or a link to it)")
    track.add_argument("--every", type=interval, default=30.0, help="time between polls: 30s, 2m, 45 (default 30s)")
    _store_and_api(track)
    track.set_defaults(run=run_track_space)


def _client(args: argparse.Namespace) -> "XClient":
    x_api = _x_api()
    return x_api.XClient(x_api.token_from_env(), base_url=x_api.base_url_from_env(args.base_url))


def read_hosts(path: Path) -> pl.DataFrame:
    """The host table (host, party) the user keeps, as text."""
    if not path.is_file():
        raise PulseError(f"host table {path} not found: make a CSV with columns host,party")
    return read_table(path, path.name).frame


@dataclass(frozen=True)
class _Fetched:
    """What a fetch-x command fetched: the rows to merge, and what to say before and after the merge."""

    frame: pl.DataFrame
    before: list[str]
    after: list[str] = field(default_factory=list)


def _fetch_and_merge(
    args: argparse.Namespace,
    dataset: str,
    fetch: Callable[["XClient"], _Fetched],
    on_partial: Callable[["PartialFetch"], _Fetched],
    merge: Callable[[Store, pl.DataFrame, str], MergeSummary],
) -> int:
    """Run a fetch-x command: fetch (a limit part-way keeps what arrived before it), merge what came into
    `dataset` through the store, as the Data page does, and print the summary; EXIT_PARTIAL after a limit."""
    store = command_store(args.data, cli_actor("fetch-x"))  # before the fetch: a refused directory costs no API call
    client = _client(args)
    partial = None
    try:
        fetched = fetch(client)
    except _x_api().PartialFetch as error:
        partial, fetched = error, on_partial(error)
    for line in fetched.before:
        print(line)
    if fetched.frame.height:
        summary = merge(store, fetched.frame, time_zone())
        print(
            f"{dataset}: {summary.added:,} added, {summary.updated:,} updated, {summary.unchanged:,} unchanged "
            f"(store: {store.root})"
        )
    for line in fetched.after:
        print(line)
    return _partial_exit(partial)


def _inspected_merge(dataset: str, source: str) -> Callable[[Store, pl.DataFrame, str], MergeSummary]:
    """Merge fetched rows as `dataset`, validated like a file; `source` names them in a report."""
    return lambda store, frame, tz: ingest.merge(store, ingest.inspect_frame(frame, dataset, source), tz)


def run_fetch_spaces(args: argparse.Namespace) -> int:
    hosts = read_hosts(args.hosts)

    def fetched(frame: pl.DataFrame, unmapped: list[str]) -> _Fetched:
        after = [f"Not saved, no party for these hosts (add them to {args.hosts}): {', '.join(unmapped)}"]
        return _Fetched(frame, [f"Fetched {frame.height:,} Space(s) with a party."], after if unmapped else [])

    def fetch(client: "XClient") -> _Fetched:
        if args.ids:
            return fetched(*client.spaces_by_ids(args.ids, hosts))
        return fetched(*client.spaces_by_creator_ids(args.creators, hosts))

    return _fetch_and_merge(
        args,
        "spaces",
        fetch,
        lambda error: fetched(error.partial, error.unmapped_hosts),
        ingest.merge_fetched_spaces,
    )


def run_fetch_counts(args: argparse.Namespace) -> int:
    party_of = dict(args.hashtag)

    def fetched(frame: pl.DataFrame) -> _Fetched:
        return _Fetched(frame, [f"Fetched {frame.height:,} hourly count(s)."])

    return _fetch_and_merge(
        args,
        "hashtags",
        lambda client: fetched(client.tweet_counts_recent(list(party_of), party_of, args.start, args.end)),
        lambda error: fetched(error.partial),
        _inspected_merge("hashtags", "X API tweet counts"),
    )


def run_fetch_tweets(args: argparse.Namespace) -> int:
    def fetched(frame: pl.DataFrame, without: int = 0) -> _Fetched:
        lines = [
            f"Fetched {frame['tweet_id'].n_unique():,} tweet(s), {frame.height:,} row(s): one per tweet and hashtag."
        ]
        if without:
            lines.append(f"Left out {without:,} tweet(s) without a hashtag (raw tweets are filed by hashtag).")
        return _Fetched(frame, lines)

    return _fetch_and_merge(
        args,
        "raw_tweets",
        lambda client: fetched(*client.search_recent(args.query, args.party, args.start, args.end)),
        lambda error: fetched(error.partial),
        _inspected_merge("raw_tweets", "X API recent search"),
    )


def _partial_exit(partial: "PartialFetch | None") -> int:
    if partial is None:
        return 0
    print(f"error: stopped early, what was fetched is saved: {partial}", file=sys.stderr)
    return EXIT_PARTIAL


def _wait(seconds: float) -> None:
    time.sleep(seconds)


def run_track_space(args: argparse.Namespace) -> int:
    store = command_store(args.data)
    client = _client(args)
    taken = 0

    def on_sample(space_id: str, at: datetime, participants: int) -> None:
        nonlocal taken
        store.append_samples(space_id, at, participants)  # on disk before the next poll
        taken += 1
        print(f"{at:%Y-%m-%d %H:%M:%S} UTC  {participants:,} listening", flush=True)

    print(f"Tracking Space {args.space_id} every {args.every:g} s into {store.root} (Ctrl-C stops).", flush=True)
    try:
        _x_api().track_space(client, args.space_id, args.every, on_sample, sleep=_wait)
    except KeyboardInterrupt:
        print(f"Stopped. {_tracked_summary(store, args.space_id, taken)}")
        return 0
    except PulseError:
        print(f"Stopped by an error. {_tracked_summary(store, args.space_id, taken)}")
        raise
    print(f"The Space has ended. {_tracked_summary(store, args.space_id, taken)}")
    return 0


def _tracked_summary(store: Store, space_id: str, taken: int) -> str:
    """Samples stored by this run, and peak and time-weighted average over every stored sample of the Space."""
    text = f"{taken:,} sample(s) stored by this run"
    try:
        loaded = load_dataset(store, "space_samples")
    except PulseError as error:
        return f"{text}; could not read the stored samples back: {error}"
    tracked = loaded[0].filter(pl.col("space_id") == space_id) if loaded else None
    if tracked is None or tracked.is_empty():
        return f"{text}."
    peak, avg = summarise_samples(tracked).select("peak_listeners", "avg_listeners").row(0)
    return f"{text}; {tracked.height:,} in all for this Space: peak {peak:,}, average {avg:,.1f} listeners."
