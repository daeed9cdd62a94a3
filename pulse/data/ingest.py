"""Bringing data in: inspect an upload or a download, then replace or merge it into the store.

Inspection validates the whole file before anything is saved; a save goes through the store,
which is locked, atomic and keeps history, so a bad file or a failed fetch changes nothing on disk.
"""

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace as replace_fields
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import polars as pl

from pulse.data.audit import content_sha256
from pulse.data.author_key import pseudonymised
from pulse.data.contract import (
    EDITABLE,
    HASHTAG_COUNTS,
    HASHTAG_TWEETS,
    Contract,
    hashtag_contract,
    normalise_hashtag,
)
from pulse.data.dataset import Table
from pulse.data.export import csv_bytes
from pulse.data.load import aggregate_tweets, load_dataset, read_table, summarise_samples, validate_table
from pulse.data.store import MergeSummary, Store
from pulse.errors import PulseError, ValidationError

# What the X API cannot know about a Space it returns: the reported total (participant_count is
# who is in it now), the analyst's peak and average, and a title or party it left out. A fetch
# keeps the stored value of these wherever it has none.
SPACES_KEPT_ON_FETCH = ("total_listeners", "peak_listeners", "avg_listeners", "title", "party")
# A fetch always writes the Space's own x.com link as source_url; an analyst's stored source
# (where the kept total was reported) wins over it, since the link says nothing the id does not.
SPACES_STORED_FIRST_ON_FETCH = ("source_url",)
# What YouTube cannot know about a stream it returns: the peak and average viewers sampled while it was live (it
# forgets the count when the stream ends), the analyst's rally link, and a title, channel name or time it left out.
STREAMS_KEPT_ON_FETCH = (
    *("peak_viewers", "avg_viewers", "rally_id", "title", "channel_title"),
    *("scheduled_at", "started_at", "ended_at"),
)
# The audit's source for rows fetched from the X API (fetch-x, watch) rather than from a file.
X_API_SOURCE = "x-api"
YOUTUBE_API_SOURCE = "youtube-api"  # and for rows fetched from YouTube (fetch-youtube, track-stream, watch)


@dataclass(frozen=True)
class Inspected:
    """A file that met the contract, ready to be saved: what it is and its typed rows."""

    dataset: str
    file: str
    contract: Contract
    frame: pl.DataFrame
    source: str = ""  # what the audit names: the file's name, a URL's host, or x-api
    content_sha256: str = ""  # of the file's bytes as uploaded or fetched; empty for rows made from an API's answer

    @property
    def form(self) -> str:
        return _form(self.contract)


def inspect(content: bytes, file: str, dataset: str, source: str | None = None) -> Inspected:
    """Read and validate a whole file as `dataset`; raises ValidationError listing every problem. `source` is what
    the audit names if the file is saved (a URL's host), the file's name when not given."""
    if dataset not in EDITABLE:
        raise PulseError(f"unknown dataset {dataset!r}: expected one of {', '.join(EDITABLE)}")
    frame, contract = validate_table(read_table(content, file), dataset)
    return Inspected(dataset, file, contract, frame, source or file, content_sha256(content))


def inspect_frame(frame: pl.DataFrame, dataset: str, source: str, api: str = X_API_SOURCE) -> Inspected:
    """Validate rows made in memory (e.g. fetched from an API) as `dataset`, like a file; `source` names them in a
    report, `api` in the audit."""
    if dataset not in EDITABLE:
        raise PulseError(f"unknown dataset {dataset!r}: expected one of {', '.join(EDITABLE)}")
    typed, contract = validate_table(Table(frame, source, 1, "row"), dataset)
    return Inspected(dataset, source, contract, typed, api)


def fill_known(
    new: pl.DataFrame,
    stored: pl.DataFrame,
    key: list[str],
    columns: Sequence[str],
    stored_first: Sequence[str] = (),
) -> pl.DataFrame:
    """`new` with each empty cell of `columns` taken from the stored row with the same key.

    For `stored_first` columns it is the other way round: the stored value, unless it is empty.
    Rows whose key is not stored are returned as they are; empty text counts as empty.
    """
    wanted = [c for c in (*columns, *stored_first) if c in new.columns and c in stored.columns]
    if not wanted:
        return new

    def known(name: str, dtype: pl.DataType) -> pl.Expr:
        column = pl.col(name)
        return pl.when(column.str.strip_chars() != "").then(column) if dtype == pl.String else column

    def filled(name: str) -> pl.Expr:
        given, kept = known(name, new.schema[name]), known(f"__stored_{name}", new.schema[name])
        return (pl.coalesce(kept, given) if name in stored_first else pl.coalesce(given, kept)).alias(name)

    old = stored.select(
        *[pl.col(k).cast(new.schema[k]) for k in key],
        *[pl.col(c).cast(new.schema[c]).alias(f"__stored_{c}") for c in wanted],
    ).unique(key, keep="first", maintain_order=True)
    return (
        new.join(old, on=key, how="left", maintain_order="left")
        .with_columns(filled(c) for c in wanted)
        .select(new.columns)
    )


def file_name_from_url(url: str) -> str:
    """The file name a URL points at, `.csv` unless it names a Parquet or Excel file."""
    name = PurePosixPath(urlsplit(url).path).name or "download.csv"
    return name if Path(name).suffix.lower() in (".csv", ".parquet", ".xlsx") else f"{name}.csv"


def merge_keys(inspected: Inspected) -> list[str]:
    """The columns that identify a row for a merge."""
    if inspected.contract is HASHTAG_TWEETS:
        if inspected.frame["tweet_id"].null_count():
            raise PulseError("merging raw tweets needs a tweet_id on every row; use Replace instead")
        return ["tweet_id", "hashtag"]
    return list(inspected.contract.key)


def replace(store: Store, inspected: Inspected) -> Path:
    """Replace the stored dataset with the inspected file (the old one goes to history)."""
    return store.save(
        inspected.dataset, inspected.frame, source=inspected.source, content_sha256=inspected.content_sha256
    )


def merge(
    store: Store,
    inspected: Inspected,
    tz: str,
    keep_stored: Sequence[str] = (),
    stored_first: Sequence[str] = (),
) -> MergeSummary:
    """Upsert the inspected rows into the stored dataset; raw tweets merge into stored counts as counts.

    Where a new row has no value in a `keep_stored` column, the stored row's value stays (see fill_known).
    """
    new = inspected
    stored = store.path(inspected.dataset)
    if inspected.contract is HASHTAG_TWEETS and stored is not None and _stored_form(stored) is HASHTAG_COUNTS:
        counts, _ = aggregate_tweets(inspected.frame, tz)
        new = replace_fields(inspected, contract=HASHTAG_COUNTS, frame=counts)
    keys = merge_keys(new)

    def read_current(path: Path) -> pl.DataFrame:
        # Called by the store under its lock, so the file checked here is the one merged into.
        current, contract = validate_table(read_table(path, path.name), new.dataset)
        if contract is not new.contract:
            raise PulseError(
                f"the stored {new.dataset} are {_form(contract)} and the new rows are {_form(new.contract)}: "
                "use Replace, or upload the same form"
            )
        return current

    def complete(rows: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
        # Also under the lock: the stored values kept are those of the file being merged into.
        return fill_known(with_stored_spellings(rows, current), current, keys, keep_stored, stored_first)

    return store.merge(
        new.dataset,
        new.frame,
        keys,
        read_current,
        complete=complete,
        source=new.source,
        content_sha256=new.content_sha256,
    )


def with_stored_spellings(new: pl.DataFrame, stored: pl.DataFrame) -> pl.DataFrame:
    """`new` with each hashtag the store holds written as the store spells it: a merge then updates the stored row
    (hashtags compare without case and '#') and never respells what the analyst stored."""
    if "hashtag" not in new.columns or "hashtag" not in stored.columns:
        return new
    key = normalise_hashtag(pl.col("hashtag")).alias("__key")
    spelled = stored.select(key, pl.col("hashtag").alias("__stored")).unique("__key", keep="first", maintain_order=True)
    return (
        new.with_columns(key)
        .join(spelled, on="__key", how="left", maintain_order="left")
        .with_columns(pl.coalesce("__stored", "hashtag").alias("hashtag"))
        .select(new.columns)
    )


def merge_fetched_spaces(store: Store, spaces: pl.DataFrame, tz: str, source: str = "X API Spaces") -> MergeSummary:
    """Merge Spaces fetched from the X API, keeping what only the stored rows know (SPACES_KEPT_ON_FETCH)."""
    return merge(
        store,
        inspect_frame(spaces, "spaces", source),
        tz,
        keep_stored=SPACES_KEPT_ON_FETCH,
        stored_first=SPACES_STORED_FIRST_ON_FETCH,
    )


def merge_fetched_streams(
    store: Store, streams: pl.DataFrame, tz: str, source: str = "YouTube API streams"
) -> MergeSummary:
    """Merge live streams fetched from YouTube, with the peak and time-weighted average viewers of their stored samples
    (pulse.data.load.summarise_samples, the one definition a Space's figures use too); what only the stored rows know
    stays (STREAMS_KEPT_ON_FETCH), so a stream whose count was hidden throughout keeps empty figures."""
    loaded = load_dataset(store, "stream_samples")
    samples = loaded[0].filter(pl.col("stream_id").is_in(streams["stream_id"].implode())) if loaded else None
    if samples is not None and samples.height:
        figures = summarise_samples(samples, "stream_id", "viewers", ("peak_viewers", "avg_viewers"))
        streams = (
            streams.drop("peak_viewers", "avg_viewers")
            .join(figures, on="stream_id", how="left", maintain_order="left")
            .select(streams.columns)
        )
    inspected = inspect_frame(streams, "streams", source, YOUTUBE_API_SOURCE)
    return merge(store, inspected, tz, keep_stored=STREAMS_KEPT_ON_FETCH)


def _stored_form(path: Path) -> Contract:
    """Which hashtags form a stored file has, from its header alone; neither form is the loader's ValidationError."""
    if path.suffix == ".parquet":
        header = pl.scan_parquet(path).collect_schema().names()
    elif path.suffix == ".csv":
        header = pl.read_csv(path, n_rows=0, infer_schema=False).columns
    else:
        header = read_table(path, path.name).frame.columns
    return hashtag_contract(header, path.name)


def _form(contract: Contract) -> str:
    """What the analyst is told the rows are: the form of hashtags, else the dataset's name."""
    if contract is HASHTAG_TWEETS:
        return "raw tweets"
    if contract is HASHTAG_COUNTS:
        return "hourly counts"
    return contract.name


def zip_bytes(frames: dict[str, pl.DataFrame]) -> bytes:
    """Every table as `<name>.csv` (the analyst CSV format) in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in frames.items():
            archive.writestr(f"{name}.csv", csv_bytes(frame))
    return buffer.getvalue()


def whole_file_problem(error: ValidationError) -> bool:
    """Whether the report is one problem with the file as a whole (over a budget, unreadable), not with a cell."""
    (first, *rest) = error.problems
    return not rest and first.line is None and first.column is None and first.value is None


def problems_table(error: ValidationError) -> pl.DataFrame:
    """A validation report as a table an analyst can sort: where, which value, and why."""
    return pl.DataFrame(
        [(p.file, p.line, p.column, p.value, p.reason) for p in error.problems],
        schema={"file": pl.String, "line": pl.Int64, "column": pl.String, "value": pl.String, "problem": pl.String},
        orient="row",
    )


def stored_overview(store: Store) -> pl.DataFrame:
    """One row per dataset: its file (a name, never the server's path), size, when the store last saved it (empty
    when it never has, e.g. the bundled files) and how many versions undo can restore."""
    rows = []
    for name in EDITABLE:
        path = store.path(name)
        rows.append(
            (
                name,
                path.name if path else None,
                round(path.stat().st_size / 1024, 1) if path else None,
                store.last_saved(name) if path else None,
                len(store.history(name)),
            )
        )
    return pl.DataFrame(
        rows,
        schema={
            "dataset": pl.String,
            "file": pl.String,
            "size_kb": pl.Float64,
            "last_saved": pl.Datetime("us", "UTC"),
            "versions_to_undo": pl.Int64,
        },
        orient="row",
    )


def stored_tables(store: Store, author_key: bytes | None) -> dict[str, pl.DataFrame]:
    """Every stored dataset as validated rows (for export), author ids pseudonymised with `author_key` as every
    page and export shows them (raw only for None: a deployment that shows raw ids)."""
    tables = {}
    for name in EDITABLE:
        loaded = load_dataset(store, name)
        if loaded is not None:
            tables[name] = pseudonymised(loaded[0], author_key)
    return tables
