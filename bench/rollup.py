"""Benchmark: `python -m pulse rollup` on raw archives of 20M to 100M tweets, polars against Spark and DuckDB.

    .venv/bin/python bench/rollup.py [--sizes 20M 50M 100M] [--engines floor polars spark duckdb]
        [--spark-sizes 20M 100M] [--duckdb-sizes 20M 100M] [--incremental 100M] [--app 100M] [--out bench/out]

Archives are generated once (`python -m pulse generate --partitioned`: one Parquet file per UTC day, 92 days)
into bench/out/archive-<rows> (git-ignored). Every engine runs once per size, in a fresh process, never two at
once; wall time is the whole command (interpreter, imports and, for Spark, the JVM's start included), peak RSS
the largest sum over the process tree (Spark's JVM included), sampled every 50 ms, and CPU time the user and
system time of that tree (what the run costs whatever else the shared machine is doing; 2 cores). The floor is polars
reading the five columns the rollup needs (created_at, party, hashtag, author_id, tweet_id) from every file, and nothing
else. Before any timing is printed, Spark's and DuckDB's tables are checked equal to the polars engine's.
`--incremental` rolls up all days but the last, adds the last day's file and runs again (against the full
run); `--app` times the dashboard's first render on a data directory holding the rollup. See
docs/performance.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import rows_of  # noqa: E402

TZ = "Asia/Karachi"
ENGINES = ("floor", "polars", "spark", "duckdb")
COLUMNS = ["created_at", "party", "hashtag", "author_id", "tweet_id"]
TABLES = {
    "hashtags.parquet": ["period_start", "party", "hashtag"],
    "hashtag_authors.parquet": ["date", "party", "hashtag"],
    "hashtag_author_days.parquet": ["date", "party", "hashtag", "author_id"],
}
# DuckDB's SQL for the same three tables: local hours and days from the zone, hashtags without '#' and case.
DUCKDB_SQL = """
COPY (
    SELECT lower(ltrim(trim(hashtag), '#')) AS hashtag, trim(party) AS party,
           date_trunc('hour', created_at AT TIME ZONE '{tz}') AT TIME ZONE '{tz}' AS period_start,
           count(*) AS tweets
    FROM read_parquet('{glob}') GROUP BY ALL ORDER BY period_start, party, hashtag
) TO '{out}/hashtags.parquet' (FORMAT parquet);
COPY (
    SELECT (created_at AT TIME ZONE '{tz}')::DATE AS date, trim(party) AS party,
           lower(ltrim(trim(hashtag), '#')) AS hashtag, count(DISTINCT trim(author_id)) AS authors
    FROM read_parquet('{glob}') WHERE author_id IS NOT NULL GROUP BY ALL ORDER BY date, party, hashtag
) TO '{out}/hashtag_authors.parquet' (FORMAT parquet);
COPY (
    SELECT (created_at AT TIME ZONE '{tz}')::DATE AS date, trim(party) AS party,
           lower(ltrim(trim(hashtag), '#')) AS hashtag, nullif(trim(author_id), '') AS author_id,
           count(DISTINCT nullif(trim(tweet_id), '')) + count(*) FILTER (WHERE nullif(trim(tweet_id), '') IS NULL)
               AS tweets
    FROM read_parquet('{glob}') GROUP BY ALL ORDER BY date, party, hashtag, author_id NULLS FIRST
) TO '{out}/hashtag_author_days.parquet' (FORMAT parquet);
"""


def ensure_archive(out: Path, rows: int, seed: int) -> Path:
    """The generated archive for `rows` (raw/day=.../part-0.parquet and the small tables), made once."""
    archive = out / f"archive-{rows}"
    stamp = archive / "generated.json"
    wanted = {"rows": rows, "seed": seed}
    if not stamp.exists() or json.loads(stamp.read_text()) != wanted:
        print(f"generating {rows:,} raw tweets into {archive} ...", flush=True)
        command = [sys.executable, "-m", "pulse", "generate", "--partitioned", "--rows", str(rows)]
        subprocess.run(
            [*command, "--seed", str(seed), "--out", str(archive)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
        )
        stamp.write_text(json.dumps(wanted))
    return archive


def measured(command: list[str], env: dict | None = None) -> dict:
    """Run `command`; its wall time and the peak RSS of its whole process tree (sampled)."""
    import psutil

    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak, cpu, stop = [0], {}, threading.Event()

    def sample() -> None:
        root = psutil.Process(process.pid)
        while not stop.is_set():
            try:
                tree = [root, *root.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
                for p in tree:
                    times = p.cpu_times()
                    cpu[p.pid] = max(cpu.get(p.pid, 0.0), times.user + times.system)
            except psutil.Error:
                pass
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - start
    stop.set()
    sampler.join()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{err[-3000:]}")
    return {"seconds": seconds, "cpu": sum(cpu.values()), "peak_rss": peak[0], "stdout": out, "stderr": err}


def run_engine(engine: str, archive: Path, out: Path) -> dict:
    raw = archive / "raw"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    if engine == "floor":
        return measured([sys.executable, __file__, "--worker", "floor", "--raw", str(raw)])
    if engine == "duckdb":
        return measured([sys.executable, __file__, "--worker", "duckdb", "--raw", str(raw), "--to", str(out)])
    command = [sys.executable, "-m", "pulse", "rollup", "--raw", str(raw), "--out", str(out), "--tz", TZ]
    if engine == "spark":
        # The driver is the only executor in local mode: give its JVM room (the default heap is 1 GiB).
        env = {"PYSPARK_SUBMIT_ARGS": "--driver-memory 6g pyspark-shell"}
        return measured([*command, "--engine", "spark", "--master", "local[2]"], env)
    return measured(command)


def worker(kind: str, raw: Path, to: Path | None) -> None:
    import polars as pl

    files = sorted(str(p) for p in raw.rglob("*.parquet"))
    if kind == "floor":
        rows = pl.scan_parquet(files).select(COLUMNS).collect(engine="streaming").height
        print(rows)
        return
    import duckdb

    duckdb.sql("SET preserve_insertion_order = false")
    for statement in DUCKDB_SQL.format(tz=TZ, glob=f"{raw}/**/*.parquet", out=to).split(";"):
        if statement.strip():
            duckdb.sql(statement)


def differences(reference: Path, other: Path) -> list[str]:
    """How `other`'s three tables differ from `reference`'s, rows sorted by their keys; empty when equal."""
    import polars as pl

    from pulse.data.contract import normalise_hashtag

    found = []
    for name, keys in TABLES.items():
        # Hashtags as keys (case and '#' aside): pulse writes each the way most rows spell it, DuckDB's SQL the key.
        key = normalise_hashtag(pl.col("hashtag"))
        ours = pl.read_parquet(reference / name).with_columns(key).sort(keys, nulls_last=False)
        theirs = pl.read_parquet(other / name).select(ours.columns).with_columns(key).sort(keys, nulls_last=False)
        theirs = theirs.with_columns(
            pl.col(pl.Datetime).dt.convert_time_zone("UTC").dt.cast_time_unit("us"),
            pl.col(pl.Int32, pl.UInt64).cast(pl.Int64),
        )
        if ours.shape != theirs.shape or not ours.equals(theirs):
            found.append(f"{other.name}/{name}: {theirs.height} rows against {ours.height}, not equal")
    return found


def incremental(archive: Path, out: Path) -> list[str]:
    """All days but the last rolled up, then the last day's file added and rolled up again: against a full run."""
    work = out / f"incremental-{archive.name}"
    if work.exists():
        shutil.rmtree(work)
    days = sorted((archive / "raw").iterdir())
    for day in days[:-1]:
        (work / "raw" / day.name).mkdir(parents=True)
        for file in day.iterdir():
            (work / "raw" / day.name / file.name).symlink_to(file)
    command = [
        sys.executable,
        "-m",
        "pulse",
        "rollup",
        "--raw",
        str(work / "raw"),
        "--out",
        str(work / "rollup"),
        "--tz",
        TZ,
    ]
    first = measured(command)
    (work / "raw" / days[-1].name).mkdir()
    for file in days[-1].iterdir():
        (work / "raw" / days[-1].name / file.name).symlink_to(file)
    again = measured(command)
    full = measured([*command[:4], "--raw", str(archive / "raw"), "--out", str(work / "full"), "--tz", TZ])
    same = all((work / "rollup" / n).read_bytes() == (work / "full" / n).read_bytes() for n in TABLES)
    lines = ["| run | wall s | CPU s | peak RSS GiB | what it did |", "|---|---|---|---|---|"]
    for label, m in (
        (f"full, {len(days) - 1} days", first),
        (f"incremental, day {len(days)} added", again),
        (f"full, {len(days)} days", full),
    ):
        summary = m["stderr"].strip().splitlines()[-1]
        lines.append(f"| {label} | {m['seconds']:.1f} | {m['cpu']:.1f} | {m['peak_rss'] / 2**30:.2f} | {summary} |")
    lines.append(f"\nincremental tables byte-identical to the full run's: {same}")
    shutil.rmtree(work / "raw")
    return lines


def app(archive: Path, rollup: Path, out: Path) -> list[str]:
    """The dashboard's first render (overview page, AppTest) on a data directory holding the rollup, and on the
    bundled data (20k hourly counts) as the reference in the same run."""
    data = out / f"app-{archive.name}"
    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    for name in ("spaces.csv", "rallies.csv", "parties.csv"):
        shutil.copy(archive / name, data / name)
    for name in TABLES:
        shutil.copy(rollup / name, data / name)
    lines = []
    for label, directory in ((f"the rollup of {archive.name}", data), ("the bundled data", ROOT / "data")):
        done = measured([sys.executable, __file__, "--worker", "app", "--raw", str(directory)])
        peak = done["peak_rss"] / 2**30
        whole = f"whole process {done['seconds']:.1f} s (CPU {done['cpu']:.1f} s), peak RSS {peak:.2f} GiB"
        lines.append(f"dashboard first render on {label}: {done['stdout'].strip()}; {whole}")
    sizes = ", ".join(f"{n} {(data / n).stat().st_size / 2**20:.1f} MiB" for n in TABLES)
    return [*lines, f"(the rollup: {sizes})"]


def app_worker(data: Path) -> None:
    os.environ["PULSE_DATA_DIR"] = str(data)
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    start = time.perf_counter()
    at.run()
    assert not at.exception, at.exception
    seconds = time.perf_counter() - start
    print(f"overview rendered in {seconds:.2f} s (CPU {time.process_time():.1f} s in the process so far)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["20M", "50M", "100M"])
    parser.add_argument("--engines", nargs="+", default=list(ENGINES), choices=ENGINES)
    parser.add_argument("--spark-sizes", nargs="+", default=["20M", "100M"], help="sizes Spark runs at")
    parser.add_argument("--duckdb-sizes", nargs="+", default=["20M", "100M"], help="sizes DuckDB runs at")
    parser.add_argument("--incremental", help="size for the incremental run (e.g. 100M)")
    parser.add_argument("--app", help="size whose rollup the dashboard renders (e.g. 100M)")
    parser.add_argument("--seed", type=int, default=20220420)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--worker", choices=("floor", "duckdb", "app"), help=argparse.SUPPRESS)
    parser.add_argument("--raw", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--to", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "app":
        app_worker(args.raw)
        return 0
    if args.worker:
        worker(args.worker, args.raw, args.to)
        return 0
    limited = {"spark": {rows_of(s) for s in args.spark_sizes}, "duckdb": {rows_of(s) for s in args.duckdb_sizes}}
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    table = [
        "| rows | engine | wall s | ÷ floor | CPU s | ÷ floor | peak RSS GiB | rows/s per core (CPU) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    extra, results = [], {}
    sizes = [rows_of(s) for s in args.sizes]
    # Spark last: on a shared machine its runs are long, and the other figures should not wait for them.
    for phase, engines in enumerate(
        ([e for e in args.engines if e != "spark"], [e for e in args.engines if e == "spark"])
    ):
        for rows in sizes:
            archive = ensure_archive(args.out, rows, args.seed)
            for engine in engines:
                if engine in limited and rows not in limited[engine]:
                    continue
                print(f"  {rows:,} rows: {engine} ...", flush=True)
                m = results[rows, engine] = run_engine(engine, archive, args.out / f"rollup-{rows}" / engine)
                print(f"    {m['seconds']:.1f} s, CPU {m['cpu']:.1f} s, {m['peak_rss'] / 2**30:.2f} GiB", flush=True)
                if engine in ("spark", "duckdb"):
                    problems = differences(args.out / f"rollup-{rows}" / "polars", args.out / f"rollup-{rows}" / engine)
                    if problems:
                        print(
                            f"\nThe engines disagree at {rows:,} rows; no timings are reported:", *problems, sep="\n- "
                        )
                        return 1
            if phase:
                continue
            if args.incremental and rows == rows_of(args.incremental):
                extra += incremental(archive, args.out)
                print("\n".join(extra), flush=True)
            if args.app and rows == rows_of(args.app):
                extra += app(archive, args.out / f"rollup-{rows}" / "polars", args.out)
                print("\n".join(extra[-3:]), flush=True)
    for (rows, engine), m in sorted(results.items(), key=lambda item: (item[0][0], ENGINES.index(item[0][1]))):
        floor = results.get((rows, "floor"))
        wall = f"{m['seconds'] / floor['seconds']:.1f}×" if floor else "–"
        cpu = f"{m['cpu'] / floor['cpu']:.1f}×" if floor else "–"
        figures = f"{m['seconds']:.1f} | {wall} | {m['cpu']:.1f} | {cpu} | {m['peak_rss'] / 2**30:.2f}"
        table.append(f"| {rows:,} | {engine} | {figures} | {rows / m['cpu']:,.0f} |")
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\n" + "\n".join(table) + "\n\n" + "\n".join(extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
