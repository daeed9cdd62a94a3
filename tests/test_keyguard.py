"""Editor-key guesses are slowed down per session and per server, then locked out; the key is never logged."""

import logging
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from pulse.errors import PulseError
from pulse.keyguard import KeyGuard, editor_key_matches
from pulse.ui.editor import _duration
from tests.conftest import BUNDLED, ROOT

KEY = "correct horse battery staple"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


def test_a_session_waits_longer_after_each_mistake_then_is_locked_out(clock):
    guard = KeyGuard(failures=6, lockout_s=600, clock=clock)
    waits = []
    for _ in range(5):
        verdict = guard.attempt("s1", "guess", KEY)
        assert not verdict.accepted and not verdict.locked
        waits.append(verdict.wait_s)
        clock.now += verdict.wait_s
    assert waits == [0, 0, 0, 1, 2]  # three typos are free, then 1 s, 2 s, ...

    verdict = guard.attempt("s1", "guess", KEY)  # the 6th wrong key in a row
    assert verdict.locked and verdict.wait_s == 600
    clock.now += 599
    verdict = guard.attempt("s1", KEY, KEY)  # even the right key is not checked during the lock-out
    assert not verdict.accepted and verdict.locked and verdict.wait_s == 1
    clock.now += 1
    assert guard.attempt("s1", KEY, KEY).accepted
    assert guard.attempt("s1", "guess", KEY).wait_s == 0  # a success starts the count again


def test_an_attempt_while_waiting_is_refused_without_checking_the_key(clock):
    guard = KeyGuard(failures=10, lockout_s=600, clock=clock)
    for _ in range(4):
        guard.attempt("s1", "guess", KEY)
    clock.now += 0.5
    verdict = guard.attempt("s1", KEY, KEY)
    assert not verdict.accepted and not verdict.locked and verdict.wait_s == 0.5
    clock.now += 0.5
    assert guard.attempt("s1", KEY, KEY).accepted


def test_new_sessions_do_not_escape_the_servers_limit(clock):
    """An attacker who opens a fresh session for every guess is slowed down and locked out by the server count."""
    guard = KeyGuard(failures=2, lockout_s=600, clock=clock)  # the server allows 5 x 2 = 10 in a row
    waits = []
    for attempt in range(10):
        clock.now += waits[-1] if waits else 0
        waits.append(guard.attempt(f"session-{attempt}", "guess", KEY).wait_s)
    assert waits == [0, 0, 0, 0, 0, 1, 2, 4, 8, 600]
    verdict = guard.attempt("the-editor", KEY, KEY)
    assert not verdict.accepted and verdict.locked  # everyone waits out the server's lock-out
    clock.now += 600
    assert guard.attempt("the-editor", KEY, KEY).accepted


def test_old_mistakes_are_forgotten(clock):
    guard = KeyGuard(failures=3, lockout_s=600, clock=clock)
    guard.attempt("s1", "guess", KEY)
    guard.attempt("s1", "guess", KEY)
    clock.now += 600
    assert guard.attempt("s1", "guess", KEY).wait_s == 0 and not guard.attempt("s1", "x", KEY).locked


def test_nothing_typed_is_not_a_guess(clock):
    guard = KeyGuard(failures=1, lockout_s=600, clock=clock)
    for _ in range(5):
        assert guard.attempt("s1", "", KEY) == guard.attempt("s1", None, KEY)
    assert guard.attempt("s1", KEY, KEY).accepted


def test_no_key_configured_accepts_nothing(clock):
    assert not KeyGuard(clock=clock).attempt("s1", "anything", None).accepted


def test_wrong_keys_are_logged_without_the_key(clock, caplog):
    guard = KeyGuard(failures=5, lockout_s=600, clock=clock)
    with caplog.at_level(logging.WARNING, logger="pulse.keyguard"):
        guard.attempt("session-7", "my-guess-hunter2", KEY)
    assert [r.getMessage() for r in caplog.records] == [
        "wrong editor key from session session-7 (1 in a row; 1 on the server)"
    ]
    assert "hunter2" not in caplog.text and KEY not in caplog.text


def test_settings_are_read_and_checked(monkeypatch):
    monkeypatch.setenv("PULSE_KEY_FAILURES", "4")
    monkeypatch.setenv("PULSE_KEY_LOCKOUT_S", "90")
    guard = KeyGuard.from_env()
    assert (guard.failures, guard.lockout_s) == (4, 90.0)
    monkeypatch.setenv("PULSE_KEY_FAILURES", "many")
    with pytest.raises(PulseError, match="PULSE_KEY_FAILURES must be a positive number"):
        KeyGuard.from_env()


def test_the_data_page_locks_out_a_guesser(tmp_path, monkeypatch):
    directory = tmp_path / "data"
    shutil.copytree(BUNDLED, directory, ignore=shutil.ignore_patterns("*.py", "*.md"))
    before = (directory / "spaces.csv").read_bytes()
    monkeypatch.setenv("PULSE_DATA_DIR", str(directory))
    monkeypatch.setenv("PULSE_KEY_FAILURES", "3")
    st.cache_resource.clear()  # a fresh guard with these settings
    try:
        at = AppTest.from_file(str(ROOT / "pages" / "5_Data.py"), default_timeout=60)
        at.secrets["editor_key"] = KEY
        at.run()
        at.file_uploader(key="upload-spaces").upload("spaces.csv", before)
        at.run()
        messages = []
        for guess in ("guess-1", "guess-2", "guess-3", KEY):
            at.text_input(key="data-editor-key").input(guess)
            at.button(key="data-replace").click().run()
            messages.append(at.error[0].value)
    finally:
        st.cache_resource.clear()
    assert messages == [
        "That editor key is not right; nothing was saved.",
        "That editor key is not right; nothing was saved.",
        "Too many wrong editor keys: saving is locked for 10 min; nothing was saved.",
        "Too many wrong editor keys: saving is locked for 10 min; nothing was saved.",  # the right key too
    ]
    assert (directory / "spaces.csv").read_bytes() == before and not list((directory).glob(".history*"))


def test_a_lockout_reads_as_its_length_despite_float_noise():
    # (now + 600) - now on a large monotonic clock can be 600.0000000001: once read as "11 min".
    assert _duration(600.0000000001) == "10 min"
    assert _duration(600.5) == "11 min"
    assert _duration(2.0000000001) == "2 s"


def test_editor_key_must_match_and_must_be_configured():
    assert editor_key_matches("s3cret", "s3cret")
    assert not editor_key_matches("s3cre", "s3cret")
    assert not editor_key_matches("", "s3cret")
    assert not editor_key_matches("anything", None)
