"""The loaded data: a file as read (Table), the validated, typed tables the dashboard shows (Dataset, with its
Hashtags and its parties' names and colours), and raw tweets for who drives a hashtag (RawTweets).

Reading and loading them is pulse.data.load.
"""

from dataclasses import dataclass, field

import polars as pl

from pulse.data.contract import CLAIMS, PARTIES, STREAM_SAMPLES, STREAMS

# Stable fallback colours for parties the parties table does not name.
DEFAULT_COLORS = ("#4C78A8", "#F58518", "#54A24B", "#B279A2", "#9D755D", "#E45756", "#72B7B2", "#EECA3B")


@dataclass(frozen=True)
class Table:
    """A file as read, before validation: all cells as text (CSV, Excel) or typed (Parquet)."""

    frame: pl.DataFrame
    file: str
    first_line: int  # the number of the first data row, in `unit`s
    unit: str = "line"
    lines: pl.Series | None = None  # each row's physical line, where rows and lines differ (CSV only)


@dataclass(frozen=True)
class Hashtags:
    """Hashtag volume in the counts form, whatever form the file had."""

    counts: pl.DataFrame  # hashtag, party, period_start (UTC, local-hour aligned), tweets
    authors_daily: pl.DataFrame | None  # hashtag, party, date, unique_authors (raw tweets with author_id only)
    form: str  # "counts" or "raw tweets"
    rows: int  # rows in the file


@dataclass(frozen=True)
class Dataset:
    """Everything the dashboard shows, validated and typed; times in UTC."""

    spaces: pl.DataFrame
    hashtags: Hashtags
    rallies: pl.DataFrame
    parties: pl.DataFrame  # party, name, color: every party in the data, with a colour
    hashtag_groups: pl.DataFrame  # hashtag, campaign
    space_samples: pl.DataFrame  # space_id, at, participants
    tz: str
    # The claims ledger (CLAIMS), checked against the rest by pulse.metrics.claims; none in most directories.
    claims: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=CLAIMS.schema))
    # YouTube live streams (STREAMS) and their sampled viewers (STREAM_SAMPLES); none in most directories.
    streams: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STREAMS.schema))
    stream_samples: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=STREAM_SAMPLES.schema))

    @property
    def is_empty(self) -> bool:
        """Nothing to show yet: no Space, hashtag count or rally (a war room's directory before its first fetch)."""
        return self.spaces.is_empty() and self.hashtags.counts.is_empty() and self.rallies.is_empty()

    @property
    def colors(self) -> dict[str, str]:
        return dict(self.parties.select("party", "color").iter_rows())

    @property
    def names(self) -> dict[str, str]:
        return dict(self.parties.select("party", "name").iter_rows())

    @property
    def party_codes(self) -> list[str]:
        """The parties with any Space, hashtag count or rally, in the parties table's order."""
        used = pl.concat([f["party"].cast(pl.String) for f in (self.spaces, self.hashtags.counts, self.rallies)])
        return self.parties.filter(pl.col("party").is_in(used.implode()))["party"].to_list()


def party_table(parties: pl.DataFrame | None, used: list[pl.Series]) -> pl.DataFrame:
    """Every party named anywhere, with its name and colour; unknown parties get a stable default colour."""
    named = parties if parties is not None else pl.DataFrame(schema=PARTIES.schema)
    codes = pl.concat([s.cast(pl.String) for s in used]).unique()
    unknown = pl.DataFrame({"party": codes}).join(named, on="party", how="anti").sort("party")
    unknown = unknown.with_columns(
        pl.col("party").alias("name"),
        # Hash of the code, not its position, so a party keeps its colour when others come and go.
        pl.lit(pl.Series(DEFAULT_COLORS)).gather(pl.col("party").hash(seed=0) % len(DEFAULT_COLORS)).alias("color"),
    )
    return pl.concat([named, unknown]).select("party", "name", "color")


@dataclass(frozen=True)
class RawTweets:
    """Raw tweets with authors, for who drives a hashtag (pulse.metrics.drivers): DRIVER_COLUMNS, one spelling."""

    rows: pl.DataFrame
    dataset: str  # "raw_tweets" (a sample beside the hashtags) or "hashtags" (the hashtags are raw tweets)
    file: str
