"""Scenario: the war room's watcher runs, but X cannot be reached (no network, a wrong address). The overview's
panel must not say "Live": it turns red, says since when the jobs fail and shows their error, and the Alerts
page says the same; once the watcher is stopped, the panel says when it stopped."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

from pulse.watch.state import read_status

from .streamlit_dom import ROOT

PANEL = '[data-testid="stMain"] .st-key-{}'
RED = "rgb(158, 48, 59)"  # the text of a red badge (Streamlit 1.67, light theme); orange and green differ


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once, as to an unreachable X."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def badge_color(page, key: str, text: str) -> str:
    """The text colour of the panel's badge that reads `text`."""
    badge = page.locator(PANEL.format(key)).get_by_text(text, exact=False).first
    return badge.evaluate("e => getComputedStyle(e).color")


def test_a_watcher_that_cannot_reach_x_turns_the_panel_red_failing_since_and_says_when_it_stopped(
    visitor, restore_data, tmp_path
):
    config = tmp_path / "watch.toml"
    config.write_text(
        '[watch]\ncounts_every = "5s"\nspaces_every = "5s"\n[[hashtags]]\ntag = "ImranKhan"\nparty = "PTI"\n'
        '[[hosts]]\nuser = "ImranKhanPTI"\nparty = "PTI"\n'
    )
    nowhere = f"http://127.0.0.1:{closed_port()}/2"
    env = {**os.environ, "X_BEARER_TOKEN": "a-wrong-token", "X_API_BASE_URL": nowhere}
    env.pop("PULSE_WEBHOOK_URLS", None)
    person = visitor()
    person.open()  # before any watcher ran on this data, there is no panel
    page = person.page
    assert page.locator(PANEL.format("live-panel")).count() == 0
    command = [sys.executable, "-m", "pulse", "watch", "--config", str(config), "--data", str(restore_data)]
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        watcher = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        # Both jobs fail from the first try; after two of their 5 s intervals without a success they are failing.
        deadline = time.monotonic() + 60
        while True:
            assert watcher.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"no job failing after 60 s:\n{log.read_text()}"
            status = read_status(restore_data, datetime.now(UTC))
            if status is not None and len(status.failing(datetime.now(UTC))) == 2:
                break
            time.sleep(0.5)
        assert "next try at" in log.read_text()  # each failure says when it is tried again

        person.open()
        panel = page.locator(PANEL.format("live-panel"))
        panel.wait_for()
        text = panel.inner_text()
        assert "Live" not in text.split("\n")[0].replace("Live Spaces", "")  # no "Live" badge
        assert "Failing since" in text and "Hashtag counts, Live Spaces · pulse watch running, heartbeat" in text
        assert "Hashtag counts failing since" in text and "Live Spaces failing since" in text
        assert "Last error" in text and "could not connect to 127.0.0.1" in text
        assert badge_color(page, "live-panel", "Failing since") == RED
        person.shot("overview-failing")

        person.open("Alerts")
        health = page.locator(PANEL.format("watcher-health"))
        health.wait_for()
        assert "Failing since" in health.inner_text() and "Hashtag counts, Live Spaces" in health.inner_text()
        health.get_by_text("Each job's last success and last error").click()  # one tap away, so alerts come first
        health.get_by_text("Hashtag counts failing since").wait_for()
        assert "could not connect to 127.0.0.1" in health.inner_text()
        assert badge_color(page, "watcher-health", "Failing since") == RED
        person.shot("alerts-failing")
    finally:
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=10) == 0, log.read_text()

    person.open()
    text = page.locator(PANEL.format("live-panel")).inner_text()
    assert "Stopped" in text and "pulse watch stopped at" in text and "nothing is being collected" in text
    assert "Hashtag counts failing since" in text  # what it last did stays in view
    person.shot("overview-stopped")
    assert person.console_errors == []
