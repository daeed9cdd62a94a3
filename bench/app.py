"""The dashboard at scale: first render of the overview and a filter change, on a generated data directory.

    .venv/bin/python bench/app.py [--rows 7M] [--csv] [--out bench/out]

Runs the overview page through Streamlit's AppTest with PULSE_DATA_DIR pointing at the generated directory
(bench/out/data-<rows> with the raw tweets as Parquet, or bench/out/csv-<rows> as CSV; made here if
missing). A spy counts how often the raw tweets file is read, to show that a filter change and a second
session hit the cache; the cached Dataset's pickled size and pickle round trip are timed, since
st.cache_data pickles what it stores and unpickles it on every hit. See docs/performance.md.
"""

import argparse
import os
import pickle
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import ensure_data, rows_of  # noqa: E402


def timed(label: str, action):
    start = time.perf_counter()
    result = action()
    print(f"{label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", default="7M")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--seed", type=int, default=20220420)
    parser.add_argument("--csv", action="store_true", help="raw tweets as CSV instead of Parquet")
    args = parser.parse_args()
    data = ensure_data(args.out, rows_of(args.rows), args.seed, args.csv)
    os.environ["PULSE_DATA_DIR"] = str(data)

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    import pulse.data.load
    import pulse.ui.session
    from pulse.data.load import load_data_dir

    reads, loads = [], []
    original_read, original_load = pulse.data.load.read_rows, pulse.ui.session.load_data_dir

    def counting_read_rows(path):
        reads.append(path)
        return original_read(path)

    def timed_load(directory, tz):
        start = time.perf_counter()
        loaded = original_load(directory, tz)
        loads.append(time.perf_counter() - start)
        return loaded

    pulse.data.load.read_rows = counting_read_rows
    pulse.ui.session.load_data_dir = timed_load
    st.cache_data.clear()

    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    timed("overview, first render (load, validate, aggregate, metrics, charts)", at.run)
    assert not at.exception, at.exception
    print(f"  of which loading the data directory: {sum(loads):.2f} s; raw tweets file read {len(reads)} time(s)")
    parties = at.multiselect(key="party").value
    timed(f"filter change: parties {parties} -> {parties[:2]}", at.multiselect(key="party").set_value(parties[:2]).run)
    assert not at.exception, at.exception
    timed("filter change back to all parties (cached tables)", at.multiselect(key="party").set_value(parties).run)
    second = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=600)
    timed("a second session, first render (cached data)", second.run)
    print(f"  raw tweets file read {len(reads)} time(s) in all")

    dataset = load_data_dir(data, "Asia/Karachi")
    blob = timed("pickle the loaded Dataset", lambda: pickle.dumps(dataset, protocol=pickle.HIGHEST_PROTOCOL))
    timed("unpickle it (what every cache hit pays)", lambda: pickle.loads(blob))
    print(f"  pickled Dataset: {len(blob) / 2**20:.1f} MiB; hourly counts {dataset.hashtags.counts.height:,} rows")
    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB")


if __name__ == "__main__":
    main()
