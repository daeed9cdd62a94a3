"""`python -m pulse display-link create|list|revoke`: share links that open one display without signing in."""

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

from pulse import display_links
from pulse.config import ROOT, data_dir, file_secret
from pulse.data.store import command_store
from pulse.displays import display_named, load_displays

SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
DEFAULT_BASE_URL = "http://localhost:8501"


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register `display-link` on the `python -m pulse` parser."""
    link = commands.add_parser("display-link", help="create, list or revoke share links to a display")
    actions = link.add_subparsers(dest="action", required=True)
    data = {"type": Path, "metavar": "DIR", "help": "data directory (default: PULSE_DATA_DIR, else data/)"}

    create = actions.add_parser("create", help="make a link that opens one display without signing in")
    create.add_argument("--display", required=True, help="the display's name in displays.toml (or default)")
    create.add_argument("--expires", required=True, help="how long the link works: 12h, 7d (at most 366d)")
    create.add_argument("--note", default="", help="what the link is for (the newsroom's wall, a live blog)")
    create.add_argument(
        "--url", help=f"the dashboard's address (default: {display_links.PUBLIC_URL_ENV}, else {DEFAULT_BASE_URL})"
    )
    create.add_argument("--secrets", type=Path, default=SECRETS_FILE, help="secrets.toml with display_secret")
    create.add_argument("--data", **data)
    create.set_defaults(run=run_create)

    listing = actions.add_parser("list", help="every link: id, display, expiry, status, note")
    listing.add_argument("--data", **data)
    listing.set_defaults(run=run_list)

    revoke = actions.add_parser("revoke", help="close a link: an open screen stops at its next refresh")
    revoke.add_argument("id", help="the link's id (from list)")
    revoke.add_argument("--data", **data)
    revoke.set_defaults(run=run_revoke)


def cli_secret(path: Path) -> bytes:
    """`display_secret` from the secrets file the app reads, else PULSE_DISPLAY_SECRET."""
    return display_links.checked_secret(
        file_secret(path, display_links.SECRET_NAME) or os.environ.get(display_links.SECRET_ENV)
    )


def run_create(args: argparse.Namespace) -> int:
    display = display_named(args.display, load_displays())  # an unknown display is refused before anything is kept
    secret = cli_secret(args.secrets)
    now = datetime.now(UTC)
    expires_at = display_links.expiry(args.expires, now)
    store = command_store(args.data)
    link = display_links.create_link(store, display.name, expires_at, args.note, now)
    base = args.url or os.environ.get(display_links.PUBLIC_URL_ENV, "").strip() or DEFAULT_BASE_URL
    print(f"link {link.id} to display {link.display}, until {link.expires_at}")
    print(display_links.link_url(base, display_links.token_for(link, secret)))
    return 0


def run_list(args: argparse.Namespace) -> int:
    links = display_links.read_links(args.data if args.data is not None else data_dir())
    if not links:
        print("No display links.")
        return 0
    now = datetime.now(UTC)
    print("id        display           expires (UTC)              status   created by / note")
    for link in links.values():
        who = " · ".join(x for x in (link.created_by, link.note) if x)
        print(f"{link.id:<9} {link.display:<17} {link.expires_at:<26} {display_links.status(link, now):<8} {who}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    store = command_store(args.data)
    link = display_links.revoke_link(store, args.id, datetime.now(UTC))
    print(f"link {link.id} to display {link.display} revoked: an open screen closes at its next refresh")
    return 0
