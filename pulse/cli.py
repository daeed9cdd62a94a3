"""`python -m pulse ...`: the same functions the pages call, for analysts and scheduled jobs."""

import argparse
import os
import signal
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl

from pulse import claims_export, cli_display, cli_watch, cli_x, cli_youtube
from pulse.config import DEFAULT_TZ, checked_time_zone, data_dir
from pulse.data import audit
from pulse.data.author_key import AUTHOR_SALT_ENV, SHOW_AUTHOR_IDS_ENV, author_key, rotate_key
from pulse.data.dataset import Dataset, RawTweets
from pulse.data.export import write_tables
from pulse.data.load import load_author_days, load_data_dir, load_dataset, load_raw_tweets
from pulse.data.store import Store
from pulse.errors import PulseError
from pulse.metrics.drivers import DriverTables, burst_min_accounts, raw_author_days, view_driver_tables
from pulse.metrics.filters import Filters
from pulse.metrics.hashtags import in_hashtags, spellings
from pulse.metrics.summary import compute_tables, export_tables
from pulse.synth import DEFAULT_ROWS, DEFAULT_SEED, generate, write, write_partitioned


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a positive whole number: {text!r}")
    return int(text)


def _time_zone(text: str) -> str:
    try:
        return checked_time_zone(text)
    except PulseError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pulse", description="Campaign Pulse command line.")
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="write the metric tables as CSV files or one Excel workbook")
    export.add_argument("--data", type=Path, required=True, help="directory with spaces, hashtags, rallies files")
    export.add_argument("--out", type=Path, required=True, help="directory to write the files into")
    export.add_argument(
        "--tz", type=_time_zone, default=DEFAULT_TZ, help=f"time zone that cuts the days (default {DEFAULT_TZ})"
    )
    export.add_argument("--start", type=_date, help="first local date, inclusive (YYYY-MM-DD)")
    export.add_argument("--end", type=_date, help="last local date, inclusive (YYYY-MM-DD)")
    export.add_argument("--party", nargs="+", help="only these party codes")
    export.add_argument(
        "--campaign",
        nargs="+",
        help="only these campaigns (hashtag_groups), each whole: every hashtag of it; a hashtag names its campaign",
    )
    export.add_argument(
        "--format",
        choices=("csv", "xlsx"),
        default="csv",
        help="csv: one file per table (default); xlsx: one pulse-export.xlsx with a sheet per table",
    )
    export.add_argument(
        "--claimreview",
        action="store_true",
        help="also write claims.jsonld: a schema.org ClaimReview per judged claim (publisher: [claims] publisher in "
        f".streamlit/secrets.toml or {claims_export.PUBLISHER_ENV})",
    )
    export.set_defaults(run=run_export)

    synth = commands.add_parser("generate", help="write a seeded synthetic data directory (raw tweets at scale)")
    synth.add_argument("--rows", type=_positive, default=DEFAULT_ROWS, help=f"raw tweets (default {DEFAULT_ROWS:,})")
    synth.add_argument("--out", type=Path, required=True, help="directory to write the data files into")
    synth.add_argument("--csv", action="store_true", help="write the raw tweets as CSV instead of Parquet")
    synth.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    synth.add_argument(
        "--partitioned",
        action="store_true",
        help="write the raw tweets as an archive, OUT/raw/day=YYYY-MM-DD/part-0.parquet, in bounded memory "
        "(roll it up with: rollup --raw OUT/raw --out OUT)",
    )
    synth.set_defaults(run=run_generate)

    rollup = commands.add_parser(
        "rollup",
        help="roll a raw-tweets archive up into hashtags, hashtag_authors and hashtag_author_days, incrementally",
    )
    rollup.add_argument(
        "--raw", required=True, help="raw-tweets file (.parquet, .csv), directory, hive-partitioned dataset or glob"
    )
    rollup.add_argument("--out", type=Path, required=True, help="directory for the rollup (may be the data directory)")
    rollup.add_argument(
        "--tz", type=_time_zone, default=DEFAULT_TZ, help=f"time zone that cuts the days (default {DEFAULT_TZ})"
    )
    rollup.add_argument("--engine", choices=("polars", "spark"), default="polars", help="default: polars")
    rollup.add_argument("--master", default="local[*]", help="Spark master URL (default local[*]; spark://, yarn ...)")
    rollup.set_defaults(run=run_rollup)

    rotate = commands.add_parser(
        "rotate-author-key",
        help="replace the data directory's author key: pseudonyms change and no longer match earlier exports",
    )
    rotate.add_argument("--data", type=Path, required=True, help="the data directory whose key to replace")
    rotate.set_defaults(run=run_rotate_author_key)

    trail = commands.add_parser("audit", help="print the audit trail: every change to the store, newest first")
    trail.add_argument("--data", type=Path, help="the data directory (default: PULSE_DATA_DIR, else data/)")
    trail.add_argument("--since", type=_date, help="only changes on or after this UTC date (YYYY-MM-DD)")
    trail.add_argument("--format", choices=("csv", "table"), default="table", help="csv, or a table (default)")
    trail.set_defaults(run=run_audit)

    cli_x.add_commands(commands)  # fetch-x, track-space
    cli_youtube.add_commands(commands)  # fetch-youtube, track-stream
    cli_watch.add_commands(commands)  # watch
    cli_display.add_commands(commands)  # display-link create, list, revoke
    return parser


def run_export(args: argparse.Namespace) -> int:
    if args.start and args.end and args.start > args.end:
        raise PulseError(f"--start {args.start} is after --end {args.end}: nothing can match; nothing was written")
    data = load_data_dir(args.data, args.tz)
    known = data.party_codes
    unknown = [p for p in args.party or [] if p not in known]
    if unknown:
        raise PulseError(
            f"--party {' '.join(unknown)}: not in the data; known party codes: {', '.join(known)}. Nothing was written"
        )
    organisation = claims_export.publisher() if args.claimreview else None  # before anything is written
    filters = Filters(args.start, args.end, tuple(args.party) if args.party else None)
    if args.campaign:
        filters = replace(filters, campaigns=_campaigns(data, args.campaign))
    raw, drivers = export_drivers(Store(args.data), data.hashtag_groups, filters, args.tz)
    salt, show_raw = os.environ.get(AUTHOR_SALT_ENV, "").strip(), os.environ.get(SHOW_AUTHOR_IDS_ENV)
    metric_tables = compute_tables(data, filters)
    ledger = claims_export.ledger(data, raw)
    frames = export_tables(metric_tables, drivers, lambda: author_key(args.data, salt, show_raw), ledger)
    for path in write_tables(frames, args.out, args.tz, xlsx=args.format == "xlsx"):
        print(path)
    if organisation is not None:
        print(claims_export.write_claimreview(ledger, args.out, organisation, datetime.now(UTC).date()))
    if all(frame.is_empty() for frame in metric_tables.as_dict().values()):
        print("warning: no row matches these filters; the files hold only their headers", file=sys.stderr)
    return 0


def export_drivers(
    store: Store, groups: pl.DataFrame, filters: Filters, tz: str
) -> tuple[RawTweets | None, DriverTables | None]:
    """The raw tweets with authors, and who drives each hashtag as the export writes it: from the rollup's day
    counts where there are some (no raw row is grouped), else from the raw tweets' own, counted once here."""
    raw, days = load_raw_tweets(store), load_author_days(store)
    rows = raw.rows if raw is not None else None
    raw_days = raw_author_days(rows, tz) if days is None and rows is not None else None
    return raw, view_driver_tables(rows, days, groups, filters, tz, "hashtag", burst_min_accounts(), raw_days)


def run_rotate_author_key(args: argparse.Namespace) -> int:
    print(f"{rotate_key(args.data)}: a new author key; pseudonyms from now on differ from those in earlier exports")
    if os.environ.get(AUTHOR_SALT_ENV, "").strip():
        print(f"note: {AUTHOR_SALT_ENV} is set, and while it is, it is the key: change it to rotate", file=sys.stderr)
    return 0


def _campaigns(data: Dataset, names: list[str]) -> tuple[str, ...]:
    """The campaigns named, each by its name or one of its hashtags; one no hashtag of the data is in is an error."""
    pairs = spellings(data.hashtags.counts["hashtag"], data.hashtag_groups)
    unknown = [n for n in names if pairs.filter(in_hashtags(Filters(campaigns=(n,)), data.hashtag_groups)).is_empty()]
    if unknown:
        known = ", ".join(pairs["campaign"].unique().sort())
        raise PulseError(
            f"--campaign {' '.join(unknown)}: no hashtag in the data belongs to it; known campaigns: {known}. "
            "Nothing was written"
        )
    return tuple(names)


def run_generate(args: argparse.Namespace) -> int:
    if args.partitioned:
        written = write_partitioned(args.rows, args.seed, args.out, csv=args.csv)
    else:
        written = write(generate(args.rows, args.seed), args.out, csv=args.csv)
    for path in written:
        print(path)
    return 0


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_rollup(args: argparse.Namespace) -> int:
    from pulse.rollup import BATCH_ROWS, polars_engine, rollup

    engine, batch_rows = polars_engine, BATCH_ROWS
    if args.engine == "spark":  # imported only here: the polars engine and the dashboard need no Java
        from pulse import spark_rollup

        engine, batch_rows = spark_rollup.spark_engine(args.master), spark_rollup.BATCH_ROWS
    signal.signal(signal.SIGTERM, _stop)  # a stopped rollup unwinds: no temporary file, the last rollup intact
    say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
    done = rollup(args.raw, args.out, args.tz, engine, say, batch_rows)
    print(
        f"{done.files} raw files, {done.read} read, {done.days} local days recomputed from {done.rows:,} rows",
        file=sys.stderr,
    )
    for path in done.written:
        print(path)
    return 0


def run_audit(args: argparse.Namespace) -> int:
    directory = args.data if args.data is not None else data_dir()
    if not directory.is_dir():
        raise PulseError(f"data directory {directory} does not exist")
    loaded = load_dataset(Store(directory), audit.AUDIT_DATASET)
    rows = audit.read(loaded[0] if loaded else None, args.since)
    if args.format == "csv":
        sys.stdout.write(audit.csv_bytes(rows).decode("utf-8"))
        return 0
    if rows.is_empty():
        print("No changes recorded" + (f" since {args.since}." if args.since else "."))
        return 0
    with pl.Config(
        tbl_rows=-1,
        tbl_cols=-1,
        tbl_width_chars=10_000,
        fmt_str_lengths=200,
        tbl_hide_dataframe_shape=True,
        tbl_hide_column_data_types=True,
        tbl_formatting="ASCII_MARKDOWN",
    ):
        print(rows.with_columns(pl.col("at").dt.strftime("%Y-%m-%dT%H:%M:%SZ")))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except PulseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
