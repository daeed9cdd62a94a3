"""Webhook delivery of `pulse watch`: what is retried (5xx, 429, no answer) with back-off and what is not (any other
4xx: the webhook refused the alert), on the local test server and an injected clock."""

from datetime import timedelta

import pytest
from werkzeug import Request, Response

from pulse.data.store import Store
from pulse.watch import alerts
from pulse.watch.delivery import retry_after
from pulse.watch.settings import WatchConfig
from tests.fake_x import FakeX
from tests.test_watch import T0, Clock, make_watcher, spiky_counts

SPIKE = "spike/imrankhan/PTI/2024-02-01T16:00Z"
NOT_RETRIED = "(the webhook refused it: it will not be retried)"


class Hook:
    """A webhook on the test server that answers `statuses` in turn, then 200; how often it was called."""

    def __init__(self, httpserver, path: str, statuses: list[int]):
        self.statuses = list(statuses)
        self.calls = 0
        self.url = httpserver.url_for(path)
        httpserver.expect_request(path).respond_with_handler(self)

    def __call__(self, request: Request) -> Response:
        self.calls += 1
        return Response("answer", status=self.statuses.pop(0) if self.statuses else 200)


def spike_watcher(httpserver, tmp_path, clock: Clock, *hooks: Hook, lines: list[str] | None = None):
    FakeX(counts=spiky_counts()).install(httpserver)
    config = WatchConfig(hashtags=(("ImranKhan", "PTI"),), webhooks=tuple(h.url for h in hooks))
    return make_watcher(httpserver, tmp_path, clock, config, [] if lines is None else lines)


def stored(tmp_path) -> dict:
    [alert] = alerts.load_alerts(Store(tmp_path)).rows(named=True)
    return alert


def test_a_webhook_that_answers_404_is_tried_once_and_never_again_and_the_alert_says_why(httpserver, tmp_path):
    hook = Hook(httpserver, "/hook/gone", [404, 404, 404])
    clock, lines = Clock(T0), []
    watcher = spike_watcher(httpserver, tmp_path, clock, hook, lines=lines)
    watcher.cycle()

    alert = stored(tmp_path)
    assert (alert["alert_id"], alert["delivered"], alert["attempts"], alert["retry_at"]) == (SPIKE, False, 1, None)
    refused = f"could not post to webhook 1 (localhost): HTTP 404 Not Found: check the address {NOT_RETRIED}"
    assert alert["error"] == refused
    assert refused in lines[0]
    # As the Alerts page shows it.
    assert alerts.filtered(alerts.load_alerts(Store(tmp_path)), [], []).select(alerts.SHOWN_COLUMNS)[
        "error"
    ].to_list() == [refused]

    for _ in range(3):  # past every back-off, and restarts
        clock.advance(4000)
        watcher.cycle()
        watcher = spike_watcher(httpserver, tmp_path, clock, hook)
        watcher.cycle()
    assert hook.calls == 1
    assert stored(tmp_path) == alert


@pytest.mark.parametrize(
    ("status", "shown"), [(429, "HTTP 429 Too Many Requests"), (503, "HTTP 503 Service Unavailable")]
)
def test_a_429_or_a_5xx_is_tried_again_after_the_back_off(httpserver, tmp_path, status, shown):
    hook = Hook(httpserver, "/hook/busy", [status, status])
    clock = Clock(T0)
    watcher = spike_watcher(httpserver, tmp_path, clock, hook)
    watcher.cycle()
    alert = stored(tmp_path)
    assert (alert["delivered"], alert["attempts"], alert["retry_at"]) == (False, 1, T0 + timedelta(seconds=30))
    assert shown in alert["error"] and NOT_RETRIED not in alert["error"]

    clock.advance(29)
    watcher.cycle()
    assert hook.calls == 1
    clock.advance(1)
    watcher.cycle()
    assert hook.calls == 2
    assert stored(tmp_path)["retry_at"] == T0 + timedelta(seconds=90)
    clock.advance(60)
    watcher.cycle()
    alert = stored(tmp_path)
    assert hook.calls == 3
    assert (alert["delivered"], alert["error"], alert["attempts"], alert["retry_at"]) == (True, None, 2, None)


def test_a_refusing_webhook_does_not_stop_the_others_and_is_not_sent_their_retries(httpserver, tmp_path):
    gone, busy = Hook(httpserver, "/hook/gone", [410, 410]), Hook(httpserver, "/hook/busy", [500])
    clock = Clock(T0)
    watcher = spike_watcher(httpserver, tmp_path, clock, gone, busy)
    watcher.cycle()
    alert = stored(tmp_path)
    assert (alert["attempts"], alert["retry_at"]) == (1, T0 + timedelta(seconds=30))
    assert alert["error"] == (
        f"could not post to webhook 1 (localhost): HTTP 410 Gone: the file was removed; check the address {NOT_RETRIED}"
        "; could not post to webhook 2 (localhost): HTTP 500 Internal Server Error: the server failed; try again later"
    )

    clock.advance(30)
    watcher.cycle()  # the busy one takes it now; the one that refused it is not asked again
    clock.advance(4000)
    watcher.cycle()
    alert = stored(tmp_path)
    assert (gone.calls, busy.calls) == (1, 2)
    assert (alert["delivered"], alert["attempts"], alert["retry_at"]) == (False, 2, None)
    assert (
        alert["error"].startswith("could not post to webhook 1 (localhost): HTTP 410 Gone")
        and NOT_RETRIED in alert["error"]
    )


def test_an_alert_tried_1024_times_waits_the_longest_back_off_instead_of_crashing_the_watcher(httpserver, tmp_path):
    (tmp_path / "alerts.csv").write_text(
        "alert_id,raised_at,kind,party,subject,value,baseline,message,delivered,error,delivered_to,attempts,retry_at\n"
        "a,2024-02-01T17:00:00Z,spike,PTI,#x,1,1,m,false,boom,,1024,2024-02-01T17:00:00Z\n"
    )
    hook = Hook(httpserver, "/hook/down", [503])
    watcher = make_watcher(httpserver, tmp_path, Clock(T0), WatchConfig(webhooks=(hook.url,)), [])
    watcher.cycle()
    alert = stored(tmp_path)
    assert (hook.calls, alert["attempts"], alert["retry_at"]) == (1, 1025, T0 + timedelta(hours=1))
    assert [retry_after(n) for n in (1, 2, 7, 8, 1025, 10**6)] == [
        timedelta(seconds=30),
        timedelta(seconds=60),
        timedelta(seconds=1920),
        *[timedelta(hours=1)] * 3,
    ]
