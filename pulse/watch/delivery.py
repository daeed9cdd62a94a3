"""Delivering alerts to webhooks: which alerts are due, the POST and its payload, and the retry schedule.

Delivery POSTs each alert once to each webhook and records which webhooks took it in the store.
"""

import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import polars as pl

from pulse.errors import PulseError
from pulse.watch.alerts import ALERT_COLUMNS

RETRY_FIRST_S = 30.0  # a failed delivery is tried again after this, doubling each time...
RETRY_MAX_S = 3600.0  # ...up to this
# Short: a POST and the record of it are finished before a SIGTERM is obeyed, within the 5 s promised.
WEBHOOK_TIMEOUT = (2.0, 2.0)


@dataclass(frozen=True)
class Webhook:
    """An incoming-webhook URL (a secret: its path is the credential) and how it may be named."""

    url: str
    number: int

    def __post_init__(self):
        try:
            parts = urlsplit(self.url)
            ok = parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:
            ok = False
        if not ok:
            raise PulseError(f"webhook {self.number} is not an http(s) URL (the URL is not shown: it is a secret)")

    def __repr__(self) -> str:
        return f"Webhook({self.label})"

    @property
    def label(self) -> str:
        return f"webhook {self.number} ({urlsplit(self.url).hostname})"

    @property
    def fingerprint(self) -> str:
        """What the store keeps to know the webhook again: a hash, never the URL."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]


def slack_text(message: str) -> str:
    """The message as Slack-style webhooks display it: & < > escaped, so text from the data cannot
    ping a channel (<!channel>) or make a link."""
    return message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(alert: dict) -> dict:
    """What is POSTed: `text` for the chat, and every column of the alert (times as ISO 8601 UTC)."""
    shown = {k: v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v for k, v in alert.items()}
    return {"text": slack_text(alert["message"]), "alert": {k: shown[k] for k in ALERT_COLUMNS}}


def retry_after(attempts: int) -> timedelta:
    """How long after the `attempts`-th failed delivery to try again."""
    return timedelta(seconds=min(RETRY_FIRST_S * 2 ** (attempts - 1), RETRY_MAX_S))


def due(alerts: pl.DataFrame, webhooks: Sequence[Webhook], now: datetime) -> pl.DataFrame:
    """Alerts some webhook has not taken yet, whose retry time has come."""
    if not webhooks:
        return alerts.clear()
    prints = [w.fingerprint for w in webhooks]
    taken = pl.col("delivered_to").fill_null("").str.split(" ")
    missing = pl.lit(prints).list.set_difference(taken).list.len() > 0
    return alerts.filter(missing & (pl.col("retry_at").is_null() | (pl.col("retry_at") <= now)))


def deliver(
    alert: dict,
    webhooks: Sequence[Webhook],
    post: Callable[[Webhook, dict], None],
    now: datetime,
    on_taken: Callable[[dict], None],
    critical: Callable[[], AbstractContextManager] = nullcontext,
) -> dict:
    """POST one alert (a row as a dict) to each webhook that has not taken it; return the row as it ends up.

    `on_taken(row)` is called after each webhook that took it, to store that before the next POST, so a
    restart never sends that webhook the alert again; a POST and its record run inside `critical()` (the
    watcher's shutdown guard: a SIGTERM waits for both). A failure is kept in `error` and tried again after
    retry_after(attempts).
    """
    taken = [t for t in (alert.get("delivered_to") or "").split(" ") if t]
    errors = []
    for webhook in webhooks:
        if webhook.fingerprint in taken:
            continue
        with critical():
            try:
                post(webhook, payload(alert))
            except PulseError as error:
                errors.append(str(error))
                continue
            taken.append(webhook.fingerprint)
            alert = {**alert, "delivered_to": " ".join(taken)}
            on_taken(alert)
    wanted = {w.fingerprint for w in webhooks}
    if wanted <= set(taken):
        return {**alert, "delivered": True, "error": None, "retry_at": None}
    attempts = alert["attempts"] + 1
    return {
        **alert,
        "delivered": False,
        "error": "; ".join(errors),
        "attempts": attempts,
        "retry_at": now + retry_after(attempts),
    }
