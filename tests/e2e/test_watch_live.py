"""Scenario: the war room. `pulse watch` runs against a local fake X API and webhook while staff look at the app:
the overview says the data is live, shows the newest alert and a live Space whose audience curve grows on its
own (the panel is a fragment that refreshes every 30 s), and the Alerts page lists the alert."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from tests.fake_x import FakeSpace, FakeX
from tests.test_watch import BEFORE, HOOK, TOKEN

from .streamlit_dom import ROOT, grid_records

LIVE = '[data-testid="stMain"] .st-key-live-panel'


def points(page) -> int:
    """Markers plotly has drawn in the live panel's audience chart."""
    return page.locator(f"{LIVE} .scatterlayer .point").count()


def test_the_overview_shows_live_data_an_alert_and_a_growing_space_while_watch_runs(
    visitor, restore_data, httpserver, tmp_path
):
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    counts = {("imrankhan", hour - timedelta(hours=12 - i)): n for i, n in enumerate(BEFORE)}
    space = FakeSpace(
        "1LyxBgkXXMpGN", "1001", "ImranKhanPTI", "Jalsa tonight", datetime.now(UTC), list(range(1000, 400_000, 700))
    )
    fake = FakeX(users={"imrankhanpti": "1001"}, spaces=[space], counts={**counts, ("imrankhan", hour): 1500})
    fake.install(httpserver)
    config = tmp_path / "watch.toml"
    config.write_text(
        '[watch]\nspaces_every = "5s"\nsample_every = "5s"\n[[hashtags]]\ntag = "ImranKhan"\nparty = "PTI"\n'
        f'[[hosts]]\nuser = "ImranKhanPTI"\nparty = "PTI"\n[alerts]\nwebhooks = ["{httpserver.url_for(HOOK)}"]\n'
    )
    env = {**os.environ, "X_BEARER_TOKEN": TOKEN, "X_API_BASE_URL": httpserver.url_for("/2")}
    command = [sys.executable, "-m", "pulse", "watch", "--config", str(config), "--data", str(restore_data)]
    log = tmp_path / "watch.log"
    with log.open("w") as out:
        watcher = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while space.polls < 2 or not fake.received:
            assert watcher.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the watcher found nothing in 60 s:\n{log.read_text()}"
            time.sleep(0.2)

        person = visitor()
        person.open()
        page = person.page
        panel = page.locator(LIVE)
        panel.wait_for()
        text = panel.inner_text()
        assert "Live" in text and "pulse watch running, heartbeat" in text and "· 1 live Space(s)" in text
        assert "Hashtag counts · last success" in text and "Live Spaces · last success" in text
        assert "#ImranKhan spiked: 1,500 tweets in the hour" in text
        assert "PTI · ImranKhanPTI · Jalsa tonight ·" in text
        panel.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for()
        first = points(page)
        person.shot("overview-live")
        # The panel reruns alone within 30 s and draws the samples taken since.
        page.wait_for_function(
            f"n => document.querySelectorAll('{LIVE} .scatterlayer .point').length > n", arg=first, timeout=45_000
        )
        assert points(page) > first
        person.shot("overview-live-later")

        person.open("Alerts")
        rows = grid_records(page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first)
        # The spike, and the bundled claim "tweeted over 7 million times" whose verdict over all the data is no
        # longer its verdict as of the claim (issue 20's claim alert).
        kinds = sorted((r["Kind"], r["Party"], r["Delivered"]) for r in rows)
        assert kinds == [("claim", "PTI", "true"), ("spike", "PTI", "true")]
        person.shot("alerts")
        assert person.console_errors == []
    finally:
        watcher.send_signal(signal.SIGTERM)
        assert watcher.wait(timeout=10) == 0, log.read_text()
    # Each stored alert reaches the webhook exactly once: the spike and the claim.
    assert len(fake.received) == 2
