"""Delivering alerts to webhooks: which alerts are due, the POST and its payload, and the retry schedule.

Delivery POSTs each alert once to each webhook and records in the store (`delivered_to`) which webhooks took it,
and which refused it for good. As in Prometheus Alertmanager, a 5xx, a 429 or no answer at all is tried again
with back-off; any other 4xx means the webhook refused the alert (a wrong or revoked URL, a payload it rejects)
and would refuse it again, so that webhook is never sent it again.
"""

import hashlib
import math
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import polars as pl

from pulse.errors import PulseError
from pulse.escape import chat_text
from pulse.http import StatusError, status_text
from pulse.watch.alerts import ALERT_COLUMNS

RETRY_FIRST_S = 30.0  # a failed delivery is tried again after this, doubling each time...
RETRY_MAX_S = 3600.0  # ...up to this
# More doublings than this change nothing (30 s × 2 ** 7 is over the hour), and the exponent is capped before
# the power is taken: 2 ** 1024 is too big for a float, and an alert tried 1,025 times crashed every restart.
_MAX_DOUBLINGS = math.ceil(math.log2(RETRY_MAX_S / RETRY_FIRST_S))
# Short: a POST and the record of it are finished before a SIGTERM is obeyed, within the 5 s promised.
WEBHOOK_TIMEOUT = (2.0, 2.0)
# The whole POST, however slowly the webhook answers; its answer's body is never read (pulse.http.post_json).
WEBHOOK_DEADLINE_S = 3.0
# In `delivered_to`, a webhook that refused the alert is "<fingerprint>:<status>"; one that took it, its fingerprint.
_REFUSED = ":"


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
    """What is POSTed: `text` for the chat, and every column of the alert (times as ISO 8601 UTC).

    The message is pulse's sentence around values from the data (a Space's title, a hashtag, a city); the sentence
    itself holds no mention, link or Markdown, so the whole of it is made literal for the chat (one line, mentions
    and links broken, Markdown escaped: pulse.escape.chat_text). The structured `alert` keeps the raw values.
    """
    shown = {k: v.isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v for k, v in alert.items()}
    return {"text": slack_text(chat_text(alert["message"])), "alert": {k: shown[k] for k in ALERT_COLUMNS}}


def retry_after(attempts: int) -> timedelta:
    """How long after the `attempts`-th failed delivery to try again."""
    return timedelta(seconds=min(RETRY_FIRST_S * 2 ** min(attempts - 1, _MAX_DOUBLINGS), RETRY_MAX_S))


def retried(status: int) -> bool:
    """Whether a webhook's error answer is worth trying again: any but a 4xx, and of those a 429 (the webhook is
    limiting requests, not refusing this one)."""
    return not 400 <= status < 500 or status == 429


def _refusal(webhook: Webhook, status: int) -> str:
    """The error kept for a webhook that refused the alert: the Alerts page shows it."""
    return f"could not post to {webhook.label}: {status_text(status)} (the webhook refused it: it will not be retried)"


def _answers(delivered_to: str | None) -> tuple[list[str], dict[str, int]]:
    """The webhooks (by fingerprint) that took an alert, and those that refused it with the status they answered."""
    taken, refused = [], {}
    for token in (delivered_to or "").split():
        fingerprint, mark, status = token.partition(_REFUSED)
        if not mark:
            taken.append(fingerprint)
        elif status.isdigit():
            refused[fingerprint] = int(status)
    return taken, refused


def due(alerts: pl.DataFrame, webhooks: Sequence[Webhook], now: datetime) -> pl.DataFrame:
    """Alerts some webhook has neither taken nor refused yet, whose retry time has come."""
    if not webhooks:
        return alerts.clear()
    prints = [w.fingerprint for w in webhooks]
    answered = pl.col("delivered_to").fill_null("").str.split(" ").list.eval(pl.element().str.replace(r":\d+$", ""))
    missing = pl.lit(prints).list.set_difference(answered).list.len() > 0
    return alerts.filter(missing & (pl.col("retry_at").is_null() | (pl.col("retry_at") <= now)))


def deliver(
    alert: dict,
    webhooks: Sequence[Webhook],
    post: Callable[[Webhook, dict], None],
    now: datetime,
    on_taken: Callable[[dict], None],
    critical: Callable[[], AbstractContextManager] = nullcontext,
) -> dict:
    """POST one alert (a row as a dict) to each webhook that has neither taken nor refused it; return the row as
    it ends up.

    `on_taken(row)` is called after each webhook that took it, to store that before the next POST, so a
    restart never sends that webhook the alert again; a POST and its record run inside `critical()` (the
    watcher's shutdown guard: a SIGTERM waits for both). A failure is kept in `error` and tried again after
    retry_after(attempts), unless the webhook refused the alert (see `retried`): that webhook is not sent it again,
    and the alert stays undelivered with the refusal in `error`.
    """
    taken, refused = _answers(alert.get("delivered_to"))
    errors = {}
    for webhook in webhooks:
        if webhook.fingerprint in taken or webhook.fingerprint in refused:
            continue
        with critical():
            try:
                post(webhook, payload(alert))
            except PulseError as error:
                if isinstance(error, StatusError) and not retried(error.status):
                    refused[webhook.fingerprint] = error.status
                else:
                    errors[webhook.fingerprint] = str(error)
                continue
            taken.append(webhook.fingerprint)
            alert = {**alert, "delivered_to": _joined(taken, refused)}
            on_taken(alert)
    wanted = {w.fingerprint for w in webhooks}
    if wanted <= set(taken):
        return {**alert, "delivered": True, "error": None, "retry_at": None}
    attempts = alert["attempts"] + 1
    why = [
        errors[w.fingerprint] if w.fingerprint in errors else _refusal(w, refused[w.fingerprint])
        for w in webhooks
        if w.fingerprint not in taken
    ]
    return {
        **alert,
        "delivered": False,
        "error": "; ".join(why),
        "delivered_to": _joined(taken, refused),
        "attempts": attempts,
        "retry_at": now + retry_after(attempts) if errors else None,
    }


def _joined(taken: list[str], refused: dict[str, int]) -> str | None:
    """`delivered_to` as stored: None when no webhook has answered yet."""
    return " ".join([*taken, *(f"{fingerprint}{_REFUSED}{status}" for fingerprint, status in refused.items())]) or None
