"""Share links for displays: a way in that does not sign in, to one display and nothing else, until it expires
or is revoked.

A link's token names the display, the link's id and its expiry, signed with HMAC-SHA256 under `display_secret`
(secrets.toml, else PULSE_DISPLAY_SECRET). The links made are kept in the data directory's `display_links.json`
(never their tokens), with who made each and whether it is revoked; every creation and revocation is audited
(pulse.data.audit). A token is only good while its link is there and not revoked, so a lost file closes every link.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pulse.data.audit import Entry
from pulse.data.store import Store, atomic_write
from pulse.errors import PulseError

LINKS_FILE = "display_links.json"
LINKS_SUBJECT = "display_links"  # what the audit names as the changed "dataset"
SECRET_NAME = "display_secret"
SECRET_ENV = "PULSE_DISPLAY_SECRET"
PUBLIC_URL_ENV = "PULSE_PUBLIC_URL"  # the dashboard's address, for the links the command line prints
MIN_SECRET_CHARS = 32
MAX_TOKEN_CHARS = 400  # a real token is about 120 characters; anything longer is not read
MAX_LINKS_BYTES = 4 * 1024 * 1024
MAX_EXPIRY = timedelta(days=366)
_PREFIX = "v1"
_CONTEXT = b"campaign-pulse display link v1\x00"  # a signature for anything else under the same secret never fits
_EXPIRES = re.compile(r"^(\d{1,4})\s*(h|d)$")
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+$")

# Why a token is refused: what the server logs and the refusal page says, in words that give nothing away.
MALFORMED, BAD_SIGNATURE, EXPIRED, REVOKED, UNKNOWN = "malformed", "bad signature", "expired", "revoked", "unknown"


@dataclass(frozen=True)
class Link:
    """A link as kept in the store: its id, display, expiry, note, who made it and when, and its revocation."""

    id: str
    display: str
    expires_at: str  # ISO 8601, UTC
    note: str = ""
    created_at: str = ""
    created_by: str = ""
    revoked_at: str | None = None
    revoked_by: str | None = None


@dataclass(frozen=True)
class Grant:
    """What a valid token grants: one display, through one link, until its expiry."""

    display: str
    link_id: str
    expires_at: datetime


class Refused(PulseError):
    """A token that grants nothing; `reason` is one of the reasons above (never the token itself)."""

    def __init__(self, reason: str, link_id: str | None = None):
        super().__init__(f"display link refused: {reason}")
        self.reason, self.link_id = reason, link_id


def checked_secret(value: str | None) -> bytes:
    """The secret as bytes; a PulseError saying how to set it when it is missing or too short to be one."""
    text = (value or "").strip()
    if len(text) < MIN_SECRET_CHARS:
        raise PulseError(
            f"share links need `{SECRET_NAME}` in .streamlit/secrets.toml (or {SECRET_ENV}) of at least "
            f"{MIN_SECRET_CHARS} characters, e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )
    return text.encode("utf-8")


def expiry(text: str, now: datetime) -> datetime:
    """When a link made `now` for `12h` or `7d` expires (at most a year ahead); a PulseError for anything else."""
    match = _EXPIRES.match(str(text).strip().lower())
    if not match or int(match.group(1)) == 0:
        raise PulseError(f"--expires: hours or days such as 12h or 7d (got {text!r:.40})")
    length = timedelta(hours=int(match.group(1))) if match.group(2) == "h" else timedelta(days=int(match.group(1)))
    if length > MAX_EXPIRY:
        raise PulseError(f"--expires: at most {MAX_EXPIRY.days} days (got {text!r:.40})")
    return (now + length).replace(microsecond=0)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _CONTEXT + payload, hashlib.sha256).digest()


def token_for(link: Link, secret: bytes) -> str:
    """The signed token of `link`: `v1.<payload>.<signature>`, URL-safe."""
    expires = int(datetime.fromisoformat(link.expires_at).timestamp())
    payload = json.dumps({"d": link.display, "id": link.id, "exp": expires}, separators=(",", ":")).encode()
    return f"{_PREFIX}.{_b64(payload)}.{_b64(_signature(secret, payload))}"


def verify(token: str, secret: bytes, links: dict[str, Link], now: datetime) -> Grant:
    """What `token` grants now; Refused when it is malformed, not signed with `secret` (tampered or foreign),
    expired, or names a link that is revoked or not kept (`links`: pulse.display_links.read_links)."""
    parts = token.split(".") if isinstance(token, str) and len(token) <= MAX_TOKEN_CHARS else []
    if len(parts) != 3 or parts[0] != _PREFIX or not all(_BASE64URL.fullmatch(part) for part in parts[1:]):
        raise Refused(MALFORMED)
    try:
        payload, signature = _unb64(parts[1]), _unb64(parts[2])
    except (binascii.Error, ValueError):
        raise Refused(MALFORMED) from None
    if not hmac.compare_digest(signature, _signature(secret, payload)):
        raise Refused(BAD_SIGNATURE)
    try:
        claims = json.loads(payload)
        display, link_id, expires = claims["d"], claims["id"], claims["exp"]
    except (ValueError, TypeError, KeyError):
        raise Refused(MALFORMED) from None
    if not (isinstance(display, str) and isinstance(link_id, str) and type(expires) is int):
        raise Refused(MALFORMED)
    expires_at = datetime.fromtimestamp(expires, UTC)
    if now >= expires_at:
        raise Refused(EXPIRED, link_id)
    kept = links.get(link_id)
    if kept is None or kept.display != display:
        raise Refused(UNKNOWN, link_id)
    if kept.revoked_at is not None:
        raise Refused(REVOKED, link_id)
    return Grant(display, link_id, expires_at)


def read_links(root: Path) -> dict[str, Link]:
    """The links kept in data directory `root`, by id (none when there is no file); a PulseError when the file
    is not one this module wrote."""
    path = Path(root) / LINKS_FILE
    try:
        with path.open("rb") as file:
            content = file.read(MAX_LINKS_BYTES + 1)
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise PulseError(f"{LINKS_FILE} cannot be read: {error.strerror or error}") from None
    try:
        if len(content) > MAX_LINKS_BYTES:
            raise ValueError("too large")
        rows = json.loads(content)["links"]
        links = [Link(**row) for row in rows]
    except (ValueError, TypeError, KeyError):
        raise PulseError(f"{LINKS_FILE} in the data directory is not a list of display links") from None
    return {link.id: link for link in links}


def _write(store: Store, links: dict[str, Link], action: str, link: Link) -> None:
    """Keep `links` (under the store's lock, atomically) and audit `action` on `link`."""
    content = json.dumps({"links": [asdict(x) for x in links.values()]}, indent=1).encode("utf-8")
    atomic_write(store.root / LINKS_FILE, content)
    source = f"link {link.id} to display {link.display}, until {link.expires_at}"
    store.audit(Entry(store.actor, action, LINKS_SUBJECT, source=source))


def create_link(store: Store, display: str, expires_at: datetime, note: str, now: datetime) -> Link:
    """Keep and audit a new link to `display`; the caller signs it (token_for)."""
    store.check_writable()
    with store.locked():
        links = read_links(store.root)
        link = Link(
            id=secrets.token_hex(4),
            display=display,
            expires_at=expires_at.astimezone(UTC).isoformat(),
            note=" ".join(note.split())[:200],
            created_at=now.astimezone(UTC).replace(microsecond=0).isoformat(),
            created_by=store.actor.name,
        )
        _write(store, links | {link.id: link}, "display-link-create", link)
    return link


def revoke_link(store: Store, link_id: str, now: datetime) -> Link:
    """Revoke link `link_id` and audit it; a PulseError when there is no such link or it is revoked already."""
    store.check_writable()
    with store.locked():
        links = read_links(store.root)
        link = links.get(link_id)
        if link is None:
            known = ", ".join(links) or "none"
            raise PulseError(f"no display link has the id {link_id!r:.40} (links: {known}); nothing was revoked")
        if link.revoked_at is not None:
            raise PulseError(f"display link {link_id} was revoked already, at {link.revoked_at}")
        at = now.astimezone(UTC).replace(microsecond=0).isoformat()
        revoked = replace(link, revoked_at=at, revoked_by=store.actor.name)
        _write(store, links | {link_id: revoked}, "display-link-revoke", revoked)
    return revoked


def link_url(base_url: str, token: str) -> str:
    """The address a screen opens: the Display page with the token."""
    return f"{base_url.rstrip('/')}/Display?link={token}"


def status(link: Link, now: datetime) -> str:
    """'revoked', 'expired' or 'active'."""
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if now >= datetime.fromisoformat(link.expires_at) else "active"
