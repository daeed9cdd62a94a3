"""The export tables of docs/metrics.md as DuckDB SQL over the same files: the benchmark's DuckDB engine.

Same definitions as pulse.metrics (full range, no filters). Cheap contract checks (required cells,
non-negative counts) are made as pulse makes them, so every engine does the same work.
"""

from pathlib import Path

import duckdb
import polars as pl

SQL = """
CREATE TEMP TABLE written AS
SELECT ltrim(trim(hashtag), '#') AS spelling, trim(party) AS party, created_at,
       created_at AT TIME ZONE $tz AS local_at, nullif(trim(author_id), '') AS author_id,
       nullif(trim(tweet_id), '') AS tweet_id
FROM read_parquet($tweets);

-- Hashtags compare without case and '#', and each is shown as the spelling most rows use (ties: code point order).
CREATE TEMP TABLE shown AS
SELECT lower(spelling) AS key, first(spelling ORDER BY uses DESC, spelling) AS hashtag
FROM (SELECT spelling, count(*) AS uses FROM written GROUP BY ALL) GROUP BY ALL;

CREATE TEMP TABLE tweets AS
SELECT s.hashtag, w.party, w.created_at, w.local_at, w.author_id, w.tweet_id
FROM written w JOIN shown s ON s.key = lower(w.spelling);

CREATE TEMP TABLE counts AS
SELECT hashtag, party, date_trunc('hour', local_at) AT TIME ZONE $tz AS period_start, count(*) AS tweets
FROM tweets GROUP BY ALL;

CREATE TEMP TABLE authors_daily AS
SELECT hashtag, party, local_at::DATE AS date, count(DISTINCT author_id) AS unique_authors
FROM tweets WHERE author_id IS NOT NULL GROUP BY ALL;

-- Who drives each hashtag: distinct tweets (distinct ids, and each row without one) per author, ranked.
CREATE TEMP TABLE hashtag_drivers AS
WITH per_author AS (
    SELECT hashtag, party, author_id,
           count(DISTINCT tweet_id) + count(*) FILTER (WHERE tweet_id IS NULL) AS n
    FROM tweets WHERE author_id IS NOT NULL GROUP BY ALL
), ranked AS (
    SELECT *, row_number() OVER (PARTITION BY hashtag, party ORDER BY n DESC) AS r,
           count(*) OVER (PARTITION BY hashtag, party) AS a
    FROM per_author
), per_group AS (
    SELECT hashtag, party, count(*) AS authors, sum(n) AS authored,
           coalesce(sum(n) FILTER (WHERE r <= (a + 99) // 100), 0) AS top1,
           coalesce(sum(n) FILTER (WHERE r <= 10), 0) AS top10,
           count(*) FILTER (WHERE n = 1) AS single
    FROM ranked GROUP BY ALL
), anonymous AS (
    SELECT hashtag, party, count(DISTINCT tweet_id) + count(*) FILTER (WHERE tweet_id IS NULL) AS anonymous
    FROM tweets WHERE author_id IS NULL GROUP BY ALL
), totals AS (
    SELECT hashtag, party, coalesce(g.authors, 0) AS authors, g.top1, g.top10, g.single,
           (coalesce(g.authored, 0) + coalesce(n.anonymous, 0))::BIGINT AS tweets
    FROM (SELECT DISTINCT hashtag, party FROM tweets) LEFT JOIN per_group g USING (hashtag, party)
         LEFT JOIN anonymous n USING (hashtag, party)
)
SELECT hashtag, party, tweets, authors,
       CASE WHEN authors > 0 THEN tweets / authors END AS tweets_per_author,
       CASE WHEN tweets > 0 THEN top1 / tweets * 100 END AS top1pct_share_pct,
       CASE WHEN tweets > 0 THEN top10 / tweets * 100 END AS top10_share_pct,
       CASE WHEN authors > 0 THEN single / authors * 100 END AS single_tweet_authors_pct
FROM totals;

CREATE TEMP TABLE spaces_raw AS
SELECT * FROM read_csv($spaces, header = true, types = {
    'started_at': 'TIMESTAMPTZ', 'ended_at': 'TIMESTAMPTZ', 'total_listeners': 'BIGINT',
    'peak_listeners': 'BIGINT', 'avg_listeners': 'DOUBLE'});

CREATE TEMP TABLE rallies AS
SELECT * FROM read_csv($rallies, header = true, types = {
    'announced_at': 'TIMESTAMPTZ', 'starts_at': 'TIMESTAMPTZ', 'reported_attendance': 'BIGINT'});

CREATE TEMP TABLE spaces AS
WITH best AS (
    -- max() OVER skips nulls and carries the running maximum forward, lag takes the one strictly before.
    SELECT started_at, max(max(total_listeners)) OVER (ORDER BY started_at ROWS UNBOUNDED PRECEDING) AS best_so_far
    FROM spaces_raw GROUP BY started_at
), prior AS (
    SELECT started_at, lag(best_so_far) OVER (ORDER BY started_at) AS earlier_best FROM best
)
SELECT s.*,
       epoch_us(s.ended_at - s.started_at) / 60e6 AS duration_min,
       CASE WHEN s.total_listeners > 0 THEN s.avg_listeners / s.total_listeners * 100 END AS retention_pct,
       s.avg_listeners * (epoch_us(s.ended_at - s.started_at) / 60e6) AS listener_minutes,
       CASE WHEN e.earlier_best > 0 THEN s.total_listeners / e.earlier_best END AS record_multiple,
       CASE WHEN s.total_listeners IS NULL THEN NULL
            ELSE e.earlier_best IS NULL OR s.total_listeners > e.earlier_best END AS is_record
FROM spaces_raw s JOIN prior e USING (started_at);

CREATE TEMP TABLE daily_counts AS
SELECT hashtag, party, (period_start AT TIME ZONE $tz)::DATE AS date, sum(tweets) AS tweets
FROM counts GROUP BY ALL;

CREATE TEMP TABLE hashtag_daily AS
WITH days AS (
    SELECT unnest(generate_series(min(date), max(date), INTERVAL 1 DAY))::DATE AS date FROM daily_counts
), grid AS (
    SELECT k.hashtag, k.party, d.date FROM (SELECT DISTINCT hashtag, party FROM daily_counts) k CROSS JOIN days d
), filled AS (
    SELECT g.hashtag, g.party, g.date, coalesce(c.tweets, 0)::BIGINT AS tweets
    FROM grid g LEFT JOIN daily_counts c USING (hashtag, party, date)
)
SELECT hashtag, party, date, tweets,
       CASE WHEN lag(tweets) OVER w > 0 THEN (tweets - lag(tweets) OVER w) / lag(tweets) OVER w * 100 END
           AS growth_pct,
       avg(tweets) OVER (w ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS rolling_7d,
       sum(tweets) OVER (w ROWS UNBOUNDED PRECEDING)::BIGINT AS cumulative
FROM filled WINDOW w AS (PARTITION BY hashtag, party ORDER BY date);

CREATE TEMP TABLE party_daily AS
WITH p AS (SELECT party, date, sum(tweets)::BIGINT AS tweets FROM hashtag_daily GROUP BY ALL)
SELECT party, date, tweets,
       CASE WHEN sum(tweets) OVER (PARTITION BY date) > 0
            THEN tweets / sum(tweets) OVER (PARTITION BY date) * 100 END AS share_of_voice_pct,
       CASE WHEN lag(tweets) OVER w > 0 THEN (tweets - lag(tweets) OVER w) / lag(tweets) OVER w * 100 END
           AS growth_pct,
       avg(tweets) OVER (w ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS rolling_7d
FROM p WINDOW w AS (PARTITION BY party ORDER BY date);

CREATE TEMP TABLE current_rallies AS
SELECT * FROM rallies QUALIFY row_number() OVER (PARTITION BY rally_id ORDER BY announced_at DESC) = 1;

CREATE TEMP TABLE party_summary AS
WITH as_of AS (SELECT max(period_start) + INTERVAL 1 HOUR AS as_of FROM counts),
totals AS (SELECT party, sum(tweets) AS tweets FROM hashtag_daily GROUP BY party),
windows AS (
    SELECT party,
           sum(tweets) FILTER (WHERE period_start >= as_of - INTERVAL 168 HOUR) AS this_week,
           sum(tweets) FILTER (WHERE period_start >= as_of - INTERVAL 336 HOUR
                                 AND period_start < as_of - INTERVAL 168 HOUR) AS last_week
    FROM counts, as_of GROUP BY party
),
weeks AS (SELECT * FROM totals FULL JOIN windows USING (party)),
space_stats AS (
    SELECT party, count(*) AS spaces, sum(total_listeners) AS spaces_reach,
           max(total_listeners) AS best_space_reach
    FROM spaces GROUP BY party
),
rally_stats AS (SELECT party, count(DISTINCT rally_id) AS rallies FROM current_rallies GROUP BY party),
everyone AS (
    SELECT party FROM spaces UNION SELECT party FROM hashtag_daily UNION SELECT party FROM current_rallies
)
SELECT party, coalesce(s.spaces, 0) AS spaces,
       (CASE WHEN s.spaces IS NULL THEN 0 ELSE s.spaces_reach END)::BIGINT AS spaces_reach,
       s.best_space_reach, coalesce(w.tweets, 0)::BIGINT AS tweets,
       CASE WHEN sum(coalesce(w.tweets, 0)) OVER () > 0
            THEN coalesce(w.tweets, 0) / sum(coalesce(w.tweets, 0)) OVER () * 100 END AS share_of_voice_pct,
       CASE WHEN w.last_week > 0 THEN (w.this_week - w.last_week) / w.last_week * 100 END AS growth_7d_pct,
       coalesce(r.rallies, 0) AS rallies
FROM everyone LEFT JOIN space_stats s USING (party) LEFT JOIN weeks w USING (party)
     LEFT JOIN rally_stats r USING (party);

CREATE TEMP TABLE events AS
WITH happenings AS (
    SELECT 'space' AS event_type, space_id AS event_id, party, started_at AS "at" FROM spaces_raw
    UNION ALL SELECT 'rally_announcement', rally_id, party, announced_at FROM rallies
    UNION ALL SELECT 'rally', rally_id, party, starts_at FROM current_rallies
), running AS (
    SELECT party, period_start,
           sum(sum(tweets)) OVER (PARTITION BY party ORDER BY period_start ROWS UNBOUNDED PRECEDING) AS running
    FROM counts GROUP BY party, period_start
), probes AS (
    -- Tweets whose period starts strictly before an edge: the running total at the last such period.
    SELECT h.*, coalesce(a.running, 0) AS before_week, coalesce(b.running, 0) AS before_event,
           coalesce(c.running, 0) AS before_day_after
    FROM happenings h
    ASOF LEFT JOIN running a ON h.party = a.party AND h."at" - INTERVAL 7 DAY > a.period_start
    ASOF LEFT JOIN running b ON h.party = b.party AND h."at" > b.period_start
    ASOF LEFT JOIN running c ON h.party = c.party AND h."at" + INTERVAL 24 HOUR > c.period_start
)
SELECT event_type, event_id, party, "at", (before_event - before_week) / 7 AS baseline,
       (before_day_after - before_event)::BIGINT AS after_24h,
       CASE WHEN (before_event - before_week) / 7 > 0
            THEN (before_day_after - before_event) / ((before_event - before_week) / 7) END AS lift
FROM probes;
"""

TABLES = ("spaces", "hashtag_daily", "party_daily", "party_summary", "events", "authors_daily", "hashtag_drivers")
CHECK = """
SELECT count(*) FILTER (WHERE created_at IS NULL OR party IS NULL OR hashtag IS NULL
                        OR retweets < 0 OR likes < 0)
FROM read_parquet($tweets)
"""


def compute(data: Path, tz: str) -> dict[str, pl.DataFrame]:
    """The five export tables, the unique authors and who drives each hashtag, from a data directory."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    params = {
        "tweets": str(data / "hashtags.parquet"),
        "spaces": str(data / "spaces.csv"),
        "rallies": str(data / "rallies.csv"),
        "tz": tz,
    }
    if con.execute(CHECK, {"tweets": params["tweets"]}).fetchone()[0]:
        raise ValueError(f"{params['tweets']}: breaks the data contract")
    for statement in filter(str.strip, SQL.split(";")):
        con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    tables = {name: con.sql(f"SELECT * FROM {name}").pl() for name in TABLES}
    con.close()
    return tables
