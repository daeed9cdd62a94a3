"""Benchmark: the export pipeline on millions of raw tweets, pulse against pandas and DuckDB, in one run.

    .venv/bin/python bench/run.py [--sizes 1M 7M 20M] [--rounds 3] [--runs 3] [--tz Asia/Karachi] [--out bench/out]

For each size a seeded data directory is generated once (bench/out/data-<rows>, git-ignored). Then, round
after round, each engine runs in a fresh process, never two at once, and runs the whole pipeline `--runs`
times there: load the raw tweets, aggregate them to hourly counts by local hour and unique authors per local
day, compute the five export tables on the full range, and who drives each hashtag (hashtag_drivers: distinct
tweets per author, ranked; no copy-paste bursts, the generated tweets have no texts) (for pulse:
pulse.data.load.load_data_dir + pulse.metrics.summary.compute_tables + pulse.cli.export_drivers, as
`python -m pulse export` does). The first run of a process is reported as
cold (what a one-off export pays), the others as warm (what the long-running dashboard pays). The floor is
polars reading just the columns the pipeline needs. Engines are timed inside their process, imports
excluded; peak memory is the process's peak resident set size. Before any timing is printed, the tables of
all engines are checked to be equal (floats to 2 decimals). See docs/performance.md.
"""

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("floor", "pulse", "pandas", "duckdb")
FLOOR_COLUMNS = ["created_at", "party", "hashtag", "author_id"]
TABLES = ("spaces", "hashtag_daily", "party_daily", "party_summary", "events", "authors_daily", "hashtag_drivers")
KEYS = {
    "spaces": ["space_id"],
    "hashtag_daily": ["hashtag", "party", "date"],
    "party_daily": ["party", "date"],
    "party_summary": ["party"],
    "events": ["event_type", "event_id", "at"],
    "authors_daily": ["hashtag", "party", "date"],
    "hashtag_drivers": ["hashtag", "party"],
}


# --- one engine, in its own process -------------------------------------------------------------


def pipeline(engine: str, data: Path, tz: str):
    """The function that runs `engine`'s whole pipeline once, with its imports done beforehand."""
    sys.path.insert(0, str(ROOT))
    if engine == "floor":
        import polars as pl

        return lambda: {"floor": pl.read_parquet(data / "hashtags.parquet", columns=FLOOR_COLUMNS)}
    if engine == "pulse":
        from pulse.cli import export_drivers
        from pulse.data.load import load_data_dir
        from pulse.data.store import Store
        from pulse.metrics.filters import Filters
        from pulse.metrics.summary import compute_tables

        def run():
            loaded = load_data_dir(data, tz)
            tables = compute_tables(loaded, Filters()).as_dict()
            drivers = export_drivers(Store(data), loaded.hashtag_groups, Filters(), tz)[1].drivers
            return {**tables, "authors_daily": loaded.hashtags.authors_daily, "hashtag_drivers": drivers}

        return run
    if engine == "pandas":
        import pyarrow.parquet  # noqa: F401  (pandas imports it on the first read; keep that out of the timing)

        from bench import pandas_impl

        return lambda: pandas_impl.compute(data, tz)
    from bench import duckdb_impl

    return lambda: duckdb_impl.compute(data, tz)


def worker(engine: str, data: Path, tz: str, runs: int, results: Path | None) -> None:
    """Run the pipeline `runs` times in this fresh process: the first run is cold, the others warm."""
    run = pipeline(engine, data, tz)
    seconds = []
    for i in range(runs):
        tables = None  # let the previous run's tables go before the next run allocates its own
        start = time.perf_counter()
        tables = run()
        seconds.append(time.perf_counter() - start)
        if i == 0 and results is not None and engine != "floor":
            results.mkdir(parents=True, exist_ok=True)
            for name, frame in tables.items():
                if engine == "pandas":
                    frame.to_parquet(results / f"{name}.parquet", index=False)
                else:
                    frame.write_parquet(results / f"{name}.parquet")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux
    print(json.dumps({"cold": seconds[0], "warm": seconds[1:], "peak_rss": peak}))


def run_worker(engine: str, data: Path, tz: str, runs: int, results: Path | None) -> dict:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--data", str(data), "--tz", tz]
    command += ["--runs", str(runs)]
    if results is not None:
        command += ["--results", str(results)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{engine} failed on {data}:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the same tables from every engine ----------------------------------------------------------


def comparable(frame, keys: list[str]):
    """Columns in common types (numbers as floats, times in UTC, text as text), rows in key order."""
    import polars as pl
    import polars.selectors as cs

    frame = frame.with_columns(
        cs.numeric().cast(pl.Float64),
        pl.col(pl.Datetime).dt.convert_time_zone("UTC").dt.cast_time_unit("us"),
        pl.col(pl.Categorical, pl.Enum).cast(pl.String),
    )
    return frame.sort(keys, nulls_last=True)


def differences(reference, other, name: str, engine: str) -> list[str]:
    """How `other` (engine) differs from `reference` (pulse) on the engine's columns; empty when equal."""
    import polars as pl

    keys = KEYS[name]
    missing = [c for c in other.columns if c not in reference.columns]
    if missing:
        return [f"{name}: pulse has no column {missing}"]
    ours, theirs = comparable(reference.select(other.columns), keys), comparable(other, keys)
    if ours.height != theirs.height:
        return [f"{name}: pulse has {ours.height} rows, {engine} {theirs.height}"]
    found = []
    for column in other.columns:
        a, b = ours[column], theirs[column]
        if a.dtype == pl.Float64 and b.dtype == pl.Float64:
            # Equal to the contract's 2 decimals; a float that lands on a rounding edge may differ by 1e-9.
            same = (a.round(2) == b.round(2)) | ((a - b).abs() < 1e-9)
        else:
            same = a.cast(pl.String) == b.cast(pl.String)
        same = (same | (a.is_null() & b.is_null())).fill_null(False)
        if not same.all():
            first = int((~same).arg_max())
            row = {k: ours[k][first] for k in keys}
            found.append(
                f"{name}.{column}: {(~same).sum()} rows differ, e.g. {row}: pulse {a[first]}, {engine} {b[first]}"
            )
    return found


def check_equal(results: Path, engines: list[str]) -> list[str]:
    import polars as pl

    problems = []
    for name in TABLES:
        reference = pl.read_parquet(results / "pulse" / f"{name}.parquet")
        for engine in (e for e in engines if e not in ("pulse", "floor")):
            problems += differences(reference, pl.read_parquet(results / engine / f"{name}.parquet"), name, engine)
    return problems


# --- the run -------------------------------------------------------------------------------------


def rows_of(text: str) -> int:
    """'7M', '50k', '20_000_000' or '1e6' as a number of rows."""
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text.replace("_", "")) * scale)


def ensure_data(out: Path, rows: int, seed: int, csv: bool = False) -> Path:
    """The seeded data directory for `rows`, generated once and reused while rows and seed are unchanged.

    The raw-tweets budget (PULSE_MAX_RAW_TWEETS, 20M by default) is lifted to `rows` for this process and the
    engines it starts: a benchmark loads sizes chosen on purpose (docs/security.md).
    """
    os.environ["PULSE_MAX_RAW_TWEETS"] = str(max(rows, int(os.environ.get("PULSE_MAX_RAW_TWEETS") or 0)))
    data = out / f"{'csv' if csv else 'data'}-{rows}"
    stamp = data / "generated.json"
    wanted = {"rows": rows, "seed": seed}
    if not stamp.exists() or json.loads(stamp.read_text()) != wanted:
        print(f"generating {rows:,} raw tweets into {data} ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "pulse", "generate", "--rows", str(rows), "--seed", str(seed), "--out", str(data)]
            + (["--csv"] if csv else []),
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        stamp.write_text(json.dumps(wanted))
    return data


def machine() -> str:
    import duckdb
    import pandas
    import polars

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown",
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} CPUs ({cpu}), {memory:.1f} GiB; Python {platform.python_version()}, "
        f"polars {polars.__version__}, pandas {pandas.__version__}, duckdb {duckdb.__version__}"
    )


def report(rows: int, measured: dict[str, dict]) -> list[str]:
    """Markdown rows for one size: warm and cold medians, peak RSS, and times relative to pulse."""
    pulse = {kind: statistics.median(measured["pulse"][kind]) for kind in ("warm", "cold")}
    lines = []
    for engine, m in measured.items():
        warm, cold = statistics.median(m["warm"]), statistics.median(m["cold"])
        runs = " / ".join(f"{s:.2f}" for s in m["warm"])
        peak = max(m["peak_rss"]) / 2**30
        lines.append(
            f"| {rows:,} | {engine} | **{warm:.2f}** | {runs} | {cold:.2f} | {peak:.2f} "
            f"| {warm / pulse['warm']:.2f}× | {cold / pulse['cold']:.2f}× |"
        )
    return lines


def verdict(rows: int, measured: dict[str, dict]) -> str:
    warm = {e: statistics.median(m["warm"]) for e, m in measured.items()}
    cold = {e: statistics.median(m["cold"]) for e, m in measured.items()}
    peak = {e: max(m["peak_rss"]) for e, m in measured.items()}
    parts = [f"{rows:,} rows: pulse {warm['pulse']:.2f} s warm, {cold['pulse']:.2f} s cold"]
    if "pandas" in warm:
        parts.append(
            f"{warm['pandas'] / warm['pulse']:.1f}× faster than pandas ({cold['pandas'] / cold['pulse']:.1f}× cold)"
        )
        parts.append(f"peak memory {peak['pulse'] / 2**30:.2f} GiB vs pandas {peak['pandas'] / 2**30:.2f} GiB")
    if "duckdb" in warm:
        parts.append(
            f"{warm['duckdb'] / warm['pulse']:.2f}× faster than DuckDB ({cold['duckdb'] / cold['pulse']:.2f}× cold)"
        )
    if "floor" in warm:
        parts.append(f"{warm['pulse'] / warm['floor']:.1f}× the read floor ({cold['pulse'] / cold['floor']:.1f}× cold)")
    return "; ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["1M", "7M", "20M"], help="rows per run: 1M 7M 20M 50k ...")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per engine and size (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="runs per process: one cold, then warm (default 3)")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--tz", default="Asia/Karachi")
    parser.add_argument("--seed", type=int, default=20220420)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.data, args.tz, args.runs, args.results)
        return 0
    engines = [e for e in ENGINES if e in args.engines and e != "pulse"]
    engines.insert(1 if "floor" in engines else 0, "pulse")  # the reference every other engine is held to

    print(f"machine: {machine()}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    table = [
        "| rows | engine | warm median s | warm runs (s) | cold median s | peak RSS GiB | warm vs pulse "
        "| cold vs pulse |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for rows in (rows_of(s) for s in args.sizes):
        data = ensure_data(args.out, rows, args.seed)
        results = args.out / f"results-{rows}"
        measured = {e: {"warm": [], "cold": [], "peak_rss": []} for e in engines}
        for round_ in range(args.rounds):
            # Rotate the order so no engine always runs right after the same neighbour.
            for engine in engines[round_ % len(engines) :] + engines[: round_ % len(engines)]:
                print(f"  {rows:,} rows, round {round_ + 1}/{args.rounds}: {engine} ...", flush=True)
                m = run_worker(engine, data, args.tz, args.runs, results / engine if round_ == 0 else None)
                measured[engine]["cold"].append(m["cold"])
                measured[engine]["warm"] += m["warm"]
                measured[engine]["peak_rss"].append(m["peak_rss"])
        problems = check_equal(results, engines)
        if problems:
            print(f"\nThe engines disagree at {rows:,} rows; no timings are reported:", *problems, sep="\n- ")
            return 1
        print(f"  {rows:,} rows: all engines give the same {len(TABLES)} tables.", flush=True)
        table += report(rows, measured)
        verdicts.append(verdict(rows, measured))
        print("\n".join(table[:2] + report(rows, measured)), flush=True)
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\n" + "\n".join(table))
    print("\n" + "\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
