"""The X bearer token never shows, in any form an API may echo it: not in CLI errors, not in the tracker table."""

import json
import re
import time
from urllib.parse import quote, unquote, unquote_plus

import polars as pl
import pytest
from werkzeug import Request, Response

from pulse.cli import main
from pulse.redact import hide_secret
from pulse.watch.tracking import FAILED, Trackers, status_table

# Real X bearer tokens are URL-encoded (%2B, %3D): a server may echo them decoded, re-encoded or lower-cased.
TOKEN = "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2XzMDjRfl76ZC9Ub0wnz4X"
FORMS = {
    "as given": TOKEN,
    "lower case": TOKEN.lower(),
    "upper case": TOKEN.upper(),
    "URL-decoded": unquote(TOKEN),
    "URL-decoded, plus as space": unquote_plus(TOKEN),
    "URL-encoded again": quote(TOKEN, safe=""),
    "decoded then lower case": unquote(TOKEN).lower(),
    "encoded twice": quote(quote(TOKEN, safe=""), safe=""),
    "in a header": f"Authorization: Bearer {TOKEN}",
}
ID = "1DXxyRYNejbKM"


def leaks(text: str) -> list[str]:
    """Which recognisable piece of the token is in `text`: its distinctive middle, in any case or encoding."""
    core = "uSeid"  # between the encoded characters, so it survives every form above
    return re.findall(core, text, flags=re.IGNORECASE) + re.findall("EUifiRBkKG5E", text, flags=re.IGNORECASE)


@pytest.mark.parametrize("form", list(FORMS), ids=list(FORMS))
def test_every_form_of_the_token_is_hidden(form):
    text = f"X said: invalid token '{FORMS[form]}' (try again)"
    hidden = hide_secret(text, TOKEN)
    assert not leaks(hidden), hidden
    assert "<hidden>" in hidden and hidden.startswith("X said: invalid token '") and hidden.endswith("' (try again)")


def test_other_text_is_left_alone():
    assert hide_secret("HTTP 400 Bad Request", TOKEN) == "HTTP 400 Bad Request"
    assert hide_secret("anything", None) == "anything" and hide_secret("anything", "") == "anything"


@pytest.fixture
def echoing_api(httpserver, monkeypatch):
    """An X API that answers every request with an error quoting the token it got in another form."""
    monkeypatch.setenv("X_BEARER_TOKEN", TOKEN)
    monkeypatch.setenv("X_API_BASE_URL", httpserver.url_for("/2"))

    def echo(form: str):
        def answer(request: Request) -> Response:
            assert request.headers["Authorization"] == f"Bearer {TOKEN}"
            detail = f"The bearer token {FORMS[form]} is not valid for this endpoint"
            body = json.dumps({"title": "Invalid Request", "detail": detail})
            return Response(body, 400, mimetype="application/json")

        httpserver.expect_request(f"/2/spaces/{ID}").respond_with_handler(answer)
        httpserver.expect_request("/2/spaces").respond_with_handler(answer)

    return echo


@pytest.mark.parametrize("form", list(FORMS))
def test_cli_errors_hide_every_echoed_form(echoing_api, tmp_path, capsys, form):
    echoing_api(form)
    hosts = tmp_path / "hosts.csv"
    hosts.write_text("host,party\n@TwitterDev,PTI\n", encoding="utf-8")
    code = main(["fetch-x", "spaces", "--ids", ID, "--hosts", str(hosts), "--data", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 2
    assert "HTTP 400 Bad Request" in err and "<hidden>" in err
    assert not leaks(out + err), err


@pytest.mark.parametrize("form", ["lower case", "URL-decoded", "upper case", "URL-encoded again"])
def test_the_tracker_table_hides_every_echoed_form(echoing_api, form):
    echoing_api(form)
    registry = Trackers()
    registry.start(ID, 5, TOKEN, lambda *sample: None)
    status = registry.wait(ID, 30)
    assert status.state == FAILED
    table = status_table(registry.statuses())
    shown = " ".join(str(v) for v in table.row(0))
    assert "<hidden>" in shown and not leaks(shown), shown


def test_an_unexpected_error_quoting_the_token_is_hidden_in_the_table(echoing_api, httpserver, caplog):
    httpserver.clear()
    httpserver.expect_request(f"/2/spaces/{ID}").respond_with_json(
        {"data": {"id": ID, "state": "live", "participant_count": 5}}
    )

    def broken_store(space_id, at, participants):
        raise RuntimeError(f"could not write sample (auth={unquote(TOKEN).lower()})")

    registry = Trackers()
    registry.start(ID, 5, TOKEN, broken_store)
    deadline = time.monotonic() + 30
    while registry.status(ID).state != FAILED:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    error = status_table(registry.statuses()).filter(pl.col("space_id") == ID)["error"][0]
    assert error == "unexpected error: RuntimeError: could not write sample (auth=<hidden>)"
    assert not leaks(caplog.text)
