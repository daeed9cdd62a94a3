"""The export tables of docs/metrics.md in straightforward, idiomatic pandas: the benchmark's pandas engine.

Same definitions as pulse.metrics (full range, no filters), from the same files: raw tweets (Parquet) to
hourly counts by local hour and unique authors per local day, then the Spaces table, the hashtag and party
daily series, the party summary and event lift. Cheap contract checks (required cells, non-negative counts)
are made as pulse makes them, so both engines do the same work.
"""

from pathlib import Path

import pandas as pd

RAW_COLUMNS = ["created_at", "party", "hashtag", "author_id", "tweet_id", "retweets", "likes"]


def read_csv_times(path: Path, times: list[str]) -> pd.DataFrame:
    frame = pd.read_csv(path)
    for column in times:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601").dt.as_unit("us")
    return frame


def shown_spellings(hashtags: pd.Series) -> dict[str, str]:
    """Each spelling as written to the spelling shown for its hashtag (case and '#' aside): the tidied spelling
    most rows use, on a tie the first in code point order (as pulse.data.contract.shown_spellings)."""
    written = hashtags.value_counts()
    table = pd.DataFrame({"raw": written.index, "uses": written.to_numpy()})
    table["spelling"] = table["raw"].str.strip().str.lstrip("#")
    table["key"] = table["spelling"].str.lower()
    chosen = (
        table.groupby(["key", "spelling"], as_index=False)["uses"]
        .sum()
        .sort_values(["key", "uses", "spelling"], ascending=[True, False, True])
        .drop_duplicates("key")
        .set_index("key")["spelling"]
    )
    return dict(zip(table["raw"], table["key"].map(chosen), strict=True))


def load_tweets(path: Path, tz: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Hourly counts (hashtag, party, period_start, tweets), unique authors per local day, and who drives each
    hashtag (hashtag_drivers)."""
    tweets = pd.read_parquet(path, columns=RAW_COLUMNS)
    if tweets[["created_at", "party", "hashtag"]].isna().any().any() or (tweets[["retweets", "likes"]] < 0).any().any():
        raise ValueError(f"{path}: breaks the data contract")
    tweets["hashtag"] = tweets["hashtag"].map(shown_spellings(tweets["hashtag"]))
    tweets["party"] = tweets["party"].str.strip()
    local = tweets["created_at"].dt.tz_convert(tz)
    tweets["period_start"] = local.dt.floor("h").dt.tz_convert("UTC")
    tweets["date"] = local.dt.tz_localize(None).dt.floor("D")  # local midnight, kept as datetime64
    counts = tweets.groupby(["hashtag", "party", "period_start"]).size().rename("tweets").reset_index()
    authors = (
        tweets.dropna(subset=["author_id"])
        .assign(author_id=lambda f: f["author_id"].str.strip())
        .groupby(["hashtag", "party", "date"])["author_id"]
        .nunique()
        .rename("unique_authors")
        .reset_index()
    )
    authors["date"] = authors["date"].dt.date
    return counts, authors, hashtag_drivers(tweets)


def distinct_tweets(rows: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Distinct tweets per key: distinct tweet ids, and each row without one (pulse.data.tweets.tweet_count)."""
    kept = rows[rows["tweet_id"].isna() | ~rows.duplicated([*keys, "tweet_id"])]
    return kept.groupby(keys).size()


def hashtag_drivers(tweets: pd.DataFrame) -> pd.DataFrame:
    """The drivers table of docs/metrics.md for the full range, without copy-paste bursts (no texts)."""
    keys = ["hashtag", "party"]
    rows = tweets[[*keys, "author_id", "tweet_id"]].assign(
        author_id=lambda f: f["author_id"].str.strip().replace("", None),
        tweet_id=lambda f: f["tweet_id"].str.strip().replace("", None),
    )
    authored = rows["author_id"].notna()
    per_author = distinct_tweets(rows[authored], [*keys, "author_id"]).rename("n").reset_index()
    per_author = per_author.sort_values([*keys, "n"], ascending=[True, True, False], ignore_index=True)
    by = per_author.groupby(keys, sort=False)
    per_author["rank"] = by.cumcount() + 1
    per_author["authors"] = by["n"].transform("size")
    top1 = per_author["rank"] <= (per_author["authors"] + 99) // 100
    groups = per_author.assign(
        top1=per_author["n"].where(top1, 0),
        top10=per_author["n"].where(per_author["rank"] <= 10, 0),
        single=per_author["n"] == 1,
    ).groupby(keys)
    table = pd.DataFrame(
        {
            "authors": groups.size(),
            "authored": groups["n"].sum(),
            "top1": groups["top1"].sum(),
            "top10": groups["top10"].sum(),
            "single": groups["single"].sum(),
        }
    )
    anonymous = distinct_tweets(rows[~authored], keys).rename("anonymous")
    table = rows[keys].drop_duplicates().set_index(keys).join(table).join(anonymous)
    table = table.fillna({"authors": 0, "authored": 0, "anonymous": 0})
    tweets_ = (table["authored"] + table["anonymous"]).astype("int64")
    authors = table["authors"].astype("int64")

    def share(part: pd.Series, whole: pd.Series) -> pd.Series:
        return (part / whole * 100).where(whole > 0)

    return pd.DataFrame(
        {
            "tweets": tweets_,
            "authors": authors,
            "tweets_per_author": (tweets_ / authors).where(authors > 0),
            "top1pct_share_pct": share(table["top1"], tweets_),
            "top10_share_pct": share(table["top10"], tweets_),
            "single_tweet_authors_pct": share(table["single"], authors),
        }
    ).reset_index()


def space_metrics(spaces: pd.DataFrame) -> pd.DataFrame:
    best = spaces.groupby("started_at")["total_listeners"].max().sort_index()
    earlier_best = best.cummax().ffill().shift(1).rename("earlier_best")
    out = spaces.merge(earlier_best, left_on="started_at", right_index=True, how="left")
    out["duration_min"] = (out["ended_at"] - out["started_at"]).dt.total_seconds() / 60
    total = out["total_listeners"]
    out["retention_pct"] = (out["avg_listeners"] / total * 100).where(total > 0)
    out["listener_minutes"] = out["avg_listeners"] * out["duration_min"]
    out["record_multiple"] = (total / out["earlier_best"]).where(out["earlier_best"] > 0)
    record = out["earlier_best"].isna() | (total > out["earlier_best"])
    out["is_record"] = record.astype("boolean").where(total.notna())
    return out.drop(columns="earlier_best").sort_values(["started_at", "space_id"], ignore_index=True)


def with_series(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Growth on the day before, 7-day rolling mean and (for hashtags) running total within each key."""
    by = frame.groupby(keys, sort=False)["tweets"]
    previous = by.shift(1)
    frame["growth_pct"] = ((frame["tweets"] - previous) / previous * 100).where(previous > 0)
    frame["rolling_7d"] = by.transform(lambda s: s.astype(float).rolling(7, min_periods=1).mean())
    return frame


def hashtag_daily(counts: pd.DataFrame, tz: str) -> pd.DataFrame:
    daily = (
        counts.assign(date=counts["period_start"].dt.tz_convert(tz).dt.tz_localize(None).dt.floor("D"))
        .groupby(["hashtag", "party", "date"], as_index=False)["tweets"]
        .sum()
    )
    days = pd.date_range(daily["date"].min(), daily["date"].max(), freq="D")
    grid = daily[["hashtag", "party"]].drop_duplicates().merge(pd.DataFrame({"date": days}), how="cross")
    filled = grid.merge(daily, on=["hashtag", "party", "date"], how="left").fillna({"tweets": 0})
    filled["tweets"] = filled["tweets"].astype("int64")
    filled = filled.sort_values(["hashtag", "party", "date"], ignore_index=True)
    filled = with_series(filled, ["hashtag", "party"])
    filled["cumulative"] = filled.groupby(["hashtag", "party"], sort=False)["tweets"].cumsum()
    return filled[["hashtag", "party", "date", "tweets", "growth_pct", "rolling_7d", "cumulative"]]


def party_daily(daily: pd.DataFrame) -> pd.DataFrame:
    parties = daily.groupby(["party", "date"], as_index=False)["tweets"].sum().sort_values(["party", "date"])
    total = parties.groupby("date")["tweets"].transform("sum")
    parties["share_of_voice_pct"] = (parties["tweets"] / total * 100).where(total > 0)
    parties = with_series(parties.reset_index(drop=True), ["party"])
    return parties[["party", "date", "tweets", "share_of_voice_pct", "growth_pct", "rolling_7d"]]


def current_rallies(rallies: pd.DataFrame) -> pd.DataFrame:
    return rallies.sort_values("announced_at").groupby("rally_id", as_index=False).last()


def party_summary(
    spaces: pd.DataFrame, daily: pd.DataFrame, rallies: pd.DataFrame, counts: pd.DataFrame
) -> pd.DataFrame:
    tweets = daily.groupby("party")["tweets"].sum()
    # The 168 hours to as_of (the end of the last hour of data) against the 168 before.
    hours_ago = (counts["period_start"].max() + pd.Timedelta(hours=1) - counts["period_start"]) / pd.Timedelta(hours=1)
    this_week = counts["tweets"].where(hours_ago <= 168, 0).groupby(counts["party"]).sum()
    last_week = counts["tweets"].where((hours_ago > 168) & (hours_ago <= 336), 0).groupby(counts["party"]).sum()
    growth = ((this_week - last_week) / last_week * 100).where(last_week > 0).rename("growth_7d_pct")
    space_stats = spaces.groupby("party").agg(
        spaces=("space_id", "size"),
        spaces_reach=("total_listeners", lambda s: s.sum(min_count=1)),  # no known total: unknown
        best_space_reach=("total_listeners", "max"),
    )
    rally_stats = rallies.groupby("party")["rally_id"].nunique().rename("rallies")
    everyone = pd.Index(sorted(set(spaces["party"]) | set(daily["party"]) | set(rallies["party"])), name="party")
    summary = pd.concat([space_stats.reindex(everyone), tweets.reindex(everyone), growth.reindex(everyone)], axis=1)
    summary = summary.join(rally_stats)
    for column in ("spaces", "tweets", "rallies"):
        summary[column] = summary[column].fillna(0).astype("int64")
    summary["spaces_reach"] = summary["spaces_reach"].where(summary["spaces"] > 0, 0).astype("Int64")
    summary["share_of_voice_pct"] = summary["tweets"] / summary["tweets"].sum() * 100
    columns = ["spaces", "spaces_reach", "best_space_reach", "tweets", "share_of_voice_pct", "growth_7d_pct"]
    return summary[[*columns, "rallies"]].reset_index()


def events(spaces: pd.DataFrame, rallies: pd.DataFrame) -> pd.DataFrame:
    def frame(kind: str, source: pd.DataFrame, id_column: str, at: str) -> pd.DataFrame:
        return pd.DataFrame(
            {"event_type": kind, "event_id": source[id_column], "party": source["party"], "at": source[at]}
        )

    return pd.concat(
        [
            frame("space", spaces, "space_id", "started_at"),
            frame("rally_announcement", rallies, "rally_id", "announced_at"),
            frame("rally", current_rallies(rallies), "rally_id", "starts_at"),
        ],
        ignore_index=True,
    )


def event_lift(happenings: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    running = counts.groupby(["party", "period_start"], as_index=False)["tweets"].sum()
    running["running"] = running.groupby("party")["tweets"].cumsum()
    running = running.sort_values("period_start")[["party", "period_start", "running"]]

    def before(edge: pd.Series) -> pd.Series:
        # Tweets whose period starts strictly before the edge: the running total at the last such period.
        probes = happenings.assign(edge=edge).reset_index().sort_values("edge")
        found = pd.merge_asof(
            probes, running, left_on="edge", right_on="period_start", by="party", allow_exact_matches=False
        )
        return found.set_index("index")["running"].reindex(happenings.index).fillna(0)

    at = happenings["at"]
    week, event, day_after = before(at - pd.Timedelta(days=7)), before(at), before(at + pd.Timedelta(hours=24))
    lifted = happenings.copy()
    lifted["baseline"] = (event - week) / 7
    lifted["after_24h"] = (day_after - event).astype("int64")
    lifted["lift"] = (lifted["after_24h"] / lifted["baseline"]).where(lifted["baseline"] > 0)
    return lifted.sort_values(["at", "event_type", "event_id"], ignore_index=True)


def compute(data: Path, tz: str) -> dict[str, pd.DataFrame]:
    """The five export tables, the unique authors and who drives each hashtag, from a data directory."""
    spaces = read_csv_times(data / "spaces.csv", ["started_at", "ended_at"])
    rallies = read_csv_times(data / "rallies.csv", ["announced_at", "starts_at"])
    counts, authors, drivers = load_tweets(data / "hashtags.parquet", tz)
    daily = hashtag_daily(counts, tz)
    tables = {
        "spaces": space_metrics(spaces),
        "hashtag_daily": daily,
        "party_daily": party_daily(daily),
        "party_summary": party_summary(spaces, daily, current_rallies(rallies), counts),
        "events": event_lift(events(spaces, rallies), counts),
        "authors_daily": authors,
        "hashtag_drivers": drivers,
    }
    for name in ("hashtag_daily", "party_daily"):
        tables[name] = tables[name].assign(date=tables[name]["date"].dt.date)
    return tables
