"""The Display page's share links, for admins: make a link to a display, see every link, revoke one. The same
functions as `python -m pulse display-link` (pulse.display_links), audited under the admin's email."""

import os
from datetime import UTC, datetime

import polars as pl
import streamlit as st

from pulse import display_links
from pulse.config import data_dir
from pulse.data.store import Store
from pulse.displays import load_displays
from pulse.errors import PulseError
from pulse.escape import markdown_text
from pulse.ui import access
from pulse.ui.settings import configured_display_secret
from pulse.ui.widgets import user_errors

MANAGE = "links"  # ?links=manage: this view instead of the screen


def wanted() -> bool:
    """Whether an admin asked for the links (`?links=manage`); never for anyone else."""
    return st.query_params.get(MANAGE) == "manage" and access.is_admin()


def _base_url() -> str:
    """The dashboard's address as this admin reached it, else PULSE_PUBLIC_URL."""
    here = st.context.url or os.environ.get(display_links.PUBLIC_URL_ENV, "").strip() or "http://localhost:8501"
    return here.split("/Display", 1)[0].split("?", 1)[0]


def manage() -> None:
    """Make a link and list, and revoke, the links kept."""
    st.title("Display links")
    st.caption(
        "A link opens one display without signing in, and nothing else, until it expires or is revoked. "
        "Revoking closes an open screen at its next refresh. Every link made or revoked is in the audit."
    )
    with user_errors():
        names = list(load_displays())
    with st.form("display-link-create", border=True):
        display = st.selectbox("Display", names, key="display-link-display")
        expires = st.text_input("Expires after", "7d", key="display-link-expires", help="Hours or days: 12h, 7d")
        note = st.text_input("Note", key="display-link-note", placeholder="The newsroom's wall")
        if st.form_submit_button("Create link", type="primary"):
            _create(display, expires, note)
    now = datetime.now(UTC)
    with user_errors():
        links = display_links.read_links(data_dir())
    if not links:
        st.info("No display links yet.")
        return
    rows = [
        {"id": x.id, "display": x.display, "expires_at": x.expires_at, "status": display_links.status(x, now),
         "created_by": x.created_by, "note": x.note}
        for x in links.values()
    ]  # fmt: skip
    st.dataframe(pl.DataFrame(rows), hide_index=True, key="display-links")
    open_ids = [x.id for x in links.values() if display_links.status(x, now) == "active"]
    if open_ids:
        chosen = st.selectbox("Link to revoke", open_ids, key="display-link-revoke-id")
        if st.button("Revoke", key="display-link-revoke", icon=":material/link_off:"):
            _revoke(chosen)


def _create(display: str, expires: str, note: str) -> None:
    if not access.is_admin():  # again, at the click: a role can be taken away
        st.error("Only an admin may make display links: nothing was made.")
        return
    now = datetime.now(UTC)
    try:
        secret = display_links.checked_secret(configured_display_secret())
        store = Store(data_dir(), actor=access.visitor().actor())
        link = display_links.create_link(store, display, display_links.expiry(expires, now), note, now)
    except PulseError as error:
        st.error(markdown_text(error))
        return
    st.success(f"Link {link.id} to {markdown_text(link.display)}, until {link.expires_at}:")
    st.code(display_links.link_url(_base_url(), display_links.token_for(link, secret)), language=None)


def _revoke(link_id: str) -> None:
    if not access.is_admin():
        st.error("Only an admin may revoke display links: nothing was revoked.")
        return
    try:
        link = display_links.revoke_link(Store(data_dir(), actor=access.visitor().actor()), link_id, datetime.now(UTC))
    except PulseError as error:
        st.error(markdown_text(error))
        return
    st.success(f"Link {link.id} revoked: an open screen closes at its next refresh.")
