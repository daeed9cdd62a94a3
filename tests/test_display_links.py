"""Share links to displays: signed tokens (tampered, foreign, expired, revoked and unknown ones refused), the links
kept in the store and audited, and `python -m pulse display-link`."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from pulse import display_links
from pulse.cli import main
from pulse.data.audit import Actor
from pulse.data.load import load_dataset
from pulse.data.store import Store
from pulse.display_links import (
    BAD_SIGNATURE,
    EXPIRED,
    MALFORMED,
    REVOKED,
    UNKNOWN,
    Grant,
    Refused,
    create_link,
    expiry,
    read_links,
    revoke_link,
    token_for,
    verify,
)
from pulse.errors import PulseError
from tests.conftest import utc

SECRET = b"a display secret of at least thirty-two characters"
NOW = utc(2026, 12, 7, 21, 0)
LATER = utc(2026, 12, 14, 21, 0)


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path, actor=Actor("lead@party.example", "admin"))


def refused(token: str, links, secret: bytes = SECRET, now=NOW) -> str:
    with pytest.raises(Refused) as raised:
        verify(token, secret, links, now)
    assert not token or token not in str(raised.value)
    return raised.value.reason


def test_a_valid_token_grants_its_display_until_it_expires(store):
    link = create_link(store, "war-room", LATER, "the newsroom's wall", NOW)
    token = token_for(link, SECRET)
    assert verify(token, SECRET, read_links(store.root), NOW) == Grant("war-room", link.id, LATER)
    assert refused(token, read_links(store.root), now=LATER) == EXPIRED
    assert refused(token, read_links(store.root), now=LATER + timedelta(days=1)) == EXPIRED


def test_tampered_and_foreign_tokens_are_refused(store):
    link = create_link(store, "war-room", LATER, "", NOW)
    other = create_link(store, "lobby", LATER, "", NOW)
    links = read_links(store.root)
    token = token_for(link, SECRET)
    prefix, payload, signature = token.split(".")
    # Another display, another expiry: the payload changed, the signature did not.
    for change in ({"d": "lobby", "id": other.id}, {"exp": int(LATER.timestamp()) + 86400 * 365}):
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) | change
        forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
        assert refused(f"{prefix}.{forged}.{signature}", links) == BAD_SIGNATURE
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert refused(f"{prefix}.{payload}.{flipped}", links) == BAD_SIGNATURE
    assert refused(token_for(link, b"another deployment's secret, also long enough"), links) == BAD_SIGNATURE
    for broken in ("", "v1", "v2." + payload + "." + signature, token + ".x", "v1.!!!.???", "v1." + "A" * 500):
        assert refused(broken, links) == MALFORMED


def test_a_revoked_link_is_refused_and_both_changes_are_audited(store):
    link = create_link(store, "war-room", LATER, "", NOW)
    token = token_for(link, SECRET)
    revoked = revoke_link(store, link.id, NOW + timedelta(hours=1))
    assert (revoked.revoked_at, revoked.revoked_by) == ("2026-12-07T22:00:00+00:00", "lead@party.example")
    assert refused(token, read_links(store.root)) == REVOKED
    with pytest.raises(PulseError, match="revoked already"):
        revoke_link(store, link.id, NOW)
    with pytest.raises(PulseError, match="no display link has the id 'nope'"):
        revoke_link(store, "nope", NOW)
    trail = load_dataset(store, "audit")[0]
    assert trail.select("actor", "action", "dataset").rows() == [
        ("lead@party.example", "display-link-create", "display_links"),
        ("lead@party.example", "display-link-revoke", "display_links"),
    ]
    assert trail["source"].to_list() == [f"link {link.id} to display war-room, until 2026-12-14T21:00:00+00:00"] * 2
    assert token not in (store.root / "audit.csv").read_text() + (store.root / "display_links.json").read_text()


def test_a_link_that_is_not_kept_is_refused(store, tmp_path):
    link = create_link(store, "war-room", LATER, "", NOW)
    token = token_for(link, SECRET)
    assert refused(token, {}) == UNKNOWN  # its file lost: no link works
    (store.root / "display_links.json").write_text('{"links": 3}')
    with pytest.raises(PulseError, match="display_links.json in the data directory is not a list of display links"):
        read_links(store.root)


def test_expiry_and_secret_checks():
    assert expiry("7d", NOW) == LATER
    assert expiry("12h", NOW) == utc(2026, 12, 8, 9, 0)
    for bad in ("7", "0d", "1w", "367d", "-1d"):
        with pytest.raises(PulseError, match="--expires"):
            expiry(bad, NOW)
    with pytest.raises(PulseError, match="at least 32 characters"):
        display_links.checked_secret("short")
    with pytest.raises(PulseError, match="display_secret"):
        display_links.checked_secret(None)


def test_the_command_line_creates_lists_and_revokes(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("PULSE_DISPLAY_SECRET", SECRET.decode())
    monkeypatch.delenv("PULSE_DISPLAYS", raising=False)
    no_secrets = ["--secrets", str(tmp_path / "none.toml")]
    common = ["--data", str(data), *no_secrets, "--url", "https://pulse.example/"]
    assert main(["display-link", "create", "--display", "default", "--expires", "7d", "--note", "wall", *common]) == 0
    head, url = capsys.readouterr().out.splitlines()
    (link,) = read_links(data).values()
    assert head == f"link {link.id} to display default, until {link.expires_at}"
    assert url.startswith("https://pulse.example/Display?link=v1.")
    token = url.split("link=", 1)[1]
    assert verify(token, SECRET, read_links(data), datetime.now(UTC)).display == "default"
    assert main(["display-link", "list", "--data", str(data)]) == 0
    listed = capsys.readouterr().out
    assert link.id in listed and "active" in listed and "wall" in listed and token not in listed
    assert main(["display-link", "revoke", link.id, "--data", str(data)]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["display-link", "list", "--data", str(data)]) == 0
    assert "revoked" in capsys.readouterr().out
    # Refused with a message and exit 2, and nothing kept: an unknown display, no secret, a bad expiry.
    assert main(["display-link", "create", "--display", "lobby", "--expires", "7d", *common]) == 2
    assert "no display is called 'lobby'" in capsys.readouterr().err
    monkeypatch.delenv("PULSE_DISPLAY_SECRET")
    assert main(["display-link", "create", "--display", "default", "--expires", "7d", *common]) == 2
    assert "display_secret" in capsys.readouterr().err
    assert len(read_links(data)) == 1
