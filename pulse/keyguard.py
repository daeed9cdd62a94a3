"""Editor-key guesses, slowed down: per session and for the whole server, an increasing wait, then a lock-out.

Anyone can open the dashboard and type keys. Without a limit, 100 guesses took 5 s. Here every wrong key
counts twice: for the session that typed it and for the server (an attacker can open new sessions at will).
After a few free mistakes each further one makes the next attempt wait longer (1 s, 2 s, 4 s ... up to a
minute), and after too many the key is refused outright, even when right, until the lock-out ends. Attempts
made while waiting are refused without looking at the key, so they reveal nothing. Wrong attempts are logged,
never the key itself.
"""

import hmac
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pulse.errors import PulseError

FAILURES_ENV = "PULSE_KEY_FAILURES"
LOCKOUT_ENV = "PULSE_KEY_LOCKOUT_S"
DEFAULT_FAILURES = 10  # wrong keys in a row a session may type before it is locked out
DEFAULT_LOCKOUT_S = 600.0
FREE_FAILURES = 3  # typos: no wait after the first few
SERVER_FACTOR = 5  # the server as a whole tolerates this many times a session's failures
MAX_WAIT_S = 60.0
MAX_SESSIONS = 10_000  # sessions remembered; the oldest are forgotten first

log = logging.getLogger(__name__)

SERVER = "(server)"


@dataclass(frozen=True)
class Verdict:
    """The answer to one attempt: accepted, or refused (and for how many seconds more the key is not checked)."""

    accepted: bool
    wait_s: float = 0.0
    locked: bool = False


@dataclass
class _Record:
    failures: int = 0
    last_failure: float = 0.0
    not_before: float = 0.0


class KeyGuard:
    """Counts wrong editor keys per session and for the server; decides whether an attempt is even checked."""

    def __init__(
        self,
        failures: int = DEFAULT_FAILURES,
        lockout_s: float = DEFAULT_LOCKOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.failures = failures
        self.lockout_s = lockout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._records: dict[str, _Record] = {}

    @classmethod
    def from_env(cls) -> "KeyGuard":
        """PULSE_KEY_FAILURES (wrong keys in a row before a session is locked out, default 10; the server
        allows 5 times as many) and PULSE_KEY_LOCKOUT_S (how long a lock-out lasts, default 600 s)."""
        return cls(_setting(FAILURES_ENV, DEFAULT_FAILURES, int), _setting(LOCKOUT_ENV, DEFAULT_LOCKOUT_S, float))

    def attempt(self, session: str, given: str | None, configured: str | None) -> Verdict:
        """Check `given` for `session` unless it or the server must wait; count it if it is wrong."""
        if not given:
            return Verdict(False)  # nothing typed: not a guess
        now = self._clock()
        with self._lock:
            named = {name: self._record(name, now) for name in (SERVER, session)}
            wait = max(r.not_before for r in named.values()) - now
            if wait > 0:
                return Verdict(False, wait, any(r.failures >= self._limit(n) for n, r in named.items()))
            if editor_key_matches(given, configured):
                for name in named:
                    self._records.pop(name, None)
                return Verdict(True)
            for name, record in named.items():
                record.failures += 1
                record.last_failure = now
                record.not_before = now + self._pause(name, record.failures)
            self._forget_oldest()
        server, own = named[SERVER], named[session]
        log.warning(
            "wrong editor key from session %s (%d in a row; %d on the server)", session, own.failures, server.failures
        )
        wait = max(r.not_before for r in named.values()) - now
        return Verdict(False, wait, any(r.failures >= self._limit(n) for n, r in named.items()))

    def _limit(self, name: str) -> int:
        return self.failures * SERVER_FACTOR if name == SERVER else self.failures

    def _pause(self, name: str, failures: int) -> float:
        """How long after its `failures`-th wrong key in a row `name` must wait before the next is checked."""
        limit = self._limit(name)
        if failures >= limit:
            return self.lockout_s
        free = min(FREE_FAILURES, self.failures - 1) * (SERVER_FACTOR if name == SERVER else 1)
        return 0.0 if failures <= free else min(2.0 ** (failures - free - 1), MAX_WAIT_S)

    def _record(self, name: str, now: float) -> _Record:
        record = self._records.get(name)
        # A streak of mistakes is forgotten once a lock-out's length has passed without one.
        if record is None or (now - record.last_failure >= self.lockout_s and now >= record.not_before):
            record = self._records[name] = _Record()
        return record

    def _forget_oldest(self) -> None:
        if len(self._records) > MAX_SESSIONS:
            oldest = sorted(self._records, key=lambda n: self._records[n].last_failure)
            for name in oldest[: len(self._records) - MAX_SESSIONS]:
                if name != SERVER:
                    del self._records[name]


def _setting(name: str, default, kind: type):
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise PulseError(f"{name} must be a positive number (got {text!r})")
    return value


def editor_key_matches(given: str | None, configured: str | None) -> bool:
    """Whether `given` is the configured editor key, compared in constant time; no key configured = no."""
    if not configured or not given:
        return False
    return hmac.compare_digest(given.encode(), configured.encode())
