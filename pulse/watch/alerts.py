"""The alerts dataset: the kinds of alert, its columns, and how alerts are loaded, merged and filtered in the store.

Every alert has a stable `alert_id` built from its kind, subject and time (see pulse.watch.rules), so checking
again, or a restarted watcher, finds the stored alert instead of a new one. The app reads alerts through this
module only; raising them is pulse.watch.rules, delivering them pulse.watch.delivery.
"""

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from pulse.data.contract import ALERTS
from pulse.data.load import read_table, validate_table
from pulse.data.store import MergeSummary, Store

SPIKE = "spike"
SPACE_RECORD = "space_record"
RALLY = "rally"
CLAIM = "claim"
STREAM_LIVE = "stream_live"
STREAM_RECORD = "stream_record"
KINDS = (SPIKE, SPACE_RECORD, RALLY, CLAIM, STREAM_LIVE, STREAM_RECORD)
# How the app names each kind; the stored alerts, their CSV and the webhook payload keep the codes.
KIND_LABELS = {
    SPIKE: "Spike",
    SPACE_RECORD: "Space record",
    RALLY: "Rally announced",
    CLAIM: "Claim verdict changed",
    STREAM_LIVE: "Stream live",
    STREAM_RECORD: "Stream record",
}
SCHEMA = ALERTS.schema
# The columns a webhook receives; the delivery bookkeeping (which webhooks, when to retry) stays at home.
ALERT_COLUMNS = ALERTS.names[: ALERTS.names.index("error") + 1]
# The same columns as the Alerts page shows them: what happened and whether the team heard, before the detail.
SHOWN_COLUMNS = (
    *("alert_id", "raised_at", "kind", "party", "delivered", "message"),
    *("subject", "value", "baseline", "error"),
)


def load_alerts(store: Store) -> pl.DataFrame:
    """The stored alerts, newest first (empty when there are none)."""
    path = store.path("alerts")
    if path is None:
        return pl.DataFrame(schema=SCHEMA)
    return _read(path).sort("raised_at", "alert_id", descending=True)


def _read(path: Path) -> pl.DataFrame:
    return validate_table(read_table(path, path.name), "alerts")[0]


def add_alerts(store: Store, alerts: pl.DataFrame) -> int:
    """Store the alerts whose alert_id is not stored yet (a stored one keeps its delivery state); how many."""

    def only_new(new: pl.DataFrame, current: pl.DataFrame) -> pl.DataFrame:
        return new.join(current.select("alert_id"), on="alert_id", how="anti")

    if alerts.is_empty():
        return 0
    return store.merge("alerts", alerts, ["alert_id"], _read, complete=only_new).added


def update_alerts(store: Store, alerts: pl.DataFrame) -> MergeSummary:
    """Write back the delivery state of stored alerts."""
    return store.merge("alerts", alerts, ["alert_id"], _read)


def as_frame(rows: list[dict]) -> pl.DataFrame:
    """Alert rows (dicts) as a frame of the alerts contract."""
    return pl.from_dicts(rows, schema=SCHEMA) if rows else pl.DataFrame(schema=SCHEMA)


def filtered(alerts: pl.DataFrame, kinds: Sequence[str], parties: Sequence[str]) -> pl.DataFrame:
    """The alerts of these kinds and parties (empty selections mean all), newest first."""
    keep = pl.lit(True)
    if kinds:
        keep &= pl.col("kind").is_in(list(kinds))
    if parties:
        keep &= pl.col("party").is_in(list(parties))
    return alerts.filter(keep).sort("raised_at", "alert_id", descending=True)
