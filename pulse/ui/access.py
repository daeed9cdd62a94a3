"""Sign-in and roles in the app: who the visitor is (st.user and the `[access]` rules, read on every run), the
sign-in and no-access pages, the sidebar's identity, and the checks every page and every write path makes on the
server. The rules themselves are pulse.access.

Sign-in is on when .streamlit/secrets.toml has Streamlit's `[auth]` section. Without it nothing changes: the app is
open to read, and the editor key guards changes (pulse.ui.editor).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NoReturn

import streamlit as st

from pulse import access
from pulse.access import ADMIN, EDITOR, VIEWER, AccessRules
from pulse.data.audit import Actor
from pulse.errors import PulseError
from pulse.escape import markdown_text

# The actor the audit names for a change made with the editor key, when there is no sign-in to say who.
EDITOR_KEY_ACTOR = Actor("editor-key", EDITOR)


@dataclass(frozen=True)
class Visitor:
    """Who is looking: signed in or not, their email and name (from the ID token), and their role (None: none).
    `open`: sign-in is off, so anyone reads and the editor key guards changes."""

    open: bool
    signed_in: bool = False
    email: str | None = None
    name: str | None = None
    role: str | None = None

    def may(self, needed: str) -> bool:
        return access.may(self.role, needed)

    def actor(self) -> Actor:
        """Whom the audit names for this visitor's changes."""
        return EDITOR_KEY_ACTOR if self.open else Actor(self.email or self.name or "(signed in)", self.role or "")

    @property
    def shown_name(self) -> str:
        return self.name or self.email or "(no name)"


def _section(name: str) -> Mapping | None:
    try:
        section = st.secrets.get(name)
    except FileNotFoundError:  # no secrets.toml at all
        return None
    return section if isinstance(section, Mapping) else None


def sign_in_on() -> bool:
    """Whether .streamlit/secrets.toml configures Streamlit's sign-in (`[auth]`)."""
    return _section("auth") is not None


def rules() -> AccessRules:
    """The `[access]` rules; a page that says what is wrong with them, and nothing else, when they are not valid."""
    try:
        return access.parse_rules(_section("access"))
    except PulseError as error:
        st.error(f"Sign-in is misconfigured: {markdown_text(error)}", icon=":material/lock:")
        st.stop()


def visitor() -> Visitor:
    """Who is looking, worked out afresh on every run: a cookie lasts 30 days, and a role can be taken away."""
    if not sign_in_on():
        return Visitor(open=True, role=VIEWER)
    found = rules()
    claims = st.user.to_dict()
    if not claims.get("is_logged_in"):
        return Visitor(open=False, role=found.anonymous)
    email, name = claims.get("email"), claims.get("name")
    return Visitor(
        open=False,
        signed_in=True,
        email=email if isinstance(email, str) else None,
        name=name if isinstance(name, str) else None,
        role=access.role_of(claims, found),
    )


def providers() -> list[str | None]:
    """The providers `[auth]` names: None for the one configured in `[auth]` itself, else each `[auth.<name>]`."""
    section = _section("auth") or {}
    named = [key for key, value in section.items() if isinstance(value, Mapping)]
    return [None] if "client_id" in section or not named else named


def sign_in_page() -> None:
    """What a visitor who is not signed in sees (unless visitors may read): a sign-in button and no data at all."""
    st.title("Campaign Pulse")
    st.write("This dashboard is for its team only. Sign in with your work account to see it.")
    for provider in providers():
        label = "Sign in" if provider is None else f"Sign in with {provider.capitalize()}"
        if st.button(label, type="primary", icon=":material/login:", key=f"sign-in-{provider or 'default'}"):
            st.login(provider) if provider else st.login()


def no_access_page() -> None:
    """What a signed-in user without a role sees: who they are signed in as, and whom to ask. No data, no pages."""
    who = visitor()
    found = rules()
    st.title("Campaign Pulse")
    st.warning(
        f"You are signed in as **{markdown_text(who.email or who.shown_name)}**, without access to this dashboard.",
        icon=":material/block:",
    )
    ask = found.contact or ", ".join(found.admins()) or "the person who runs this dashboard"
    st.write(f"Ask {markdown_text(ask)} to give you a role, then sign in again.")
    if st.button("Sign out", icon=":material/logout:", key="sign-out"):
        st.logout()


def identity_sidebar(who: Visitor) -> None:
    """The sidebar's line on who is signed in, with their role and a sign-out (or sign-in) button."""
    if who.open:
        return
    with st.sidebar, st.container(border=True, key="identity"):
        if who.signed_in:
            st.markdown(f"**{markdown_text(who.shown_name)}** · {who.role}")
            if who.email and who.email != who.shown_name:
                st.caption(markdown_text(who.email))
            if st.button("Sign out", icon=":material/logout:", key="sign-out"):
                st.logout()
        else:
            st.markdown(f"Not signed in · {who.role}")
            for provider in providers():
                if st.button("Sign in", icon=":material/login:", key=f"sidebar-sign-in-{provider or 'default'}"):
                    st.login(provider) if provider else st.login()


def require(needed: str) -> Visitor:
    """Stop the page unless the visitor's role includes `needed` (a page reached by its URL checks again here)."""
    who = visitor()
    if not who.may(needed):
        refuse(needed, who, "shown")
    return who


def refuse(needed: str, who: Visitor, nothing_was: str) -> NoReturn:
    role = who.role or "no role"
    st.error(f"This needs the {needed} role, and you have {role}: nothing was {nothing_was}.", icon=":material/lock:")
    st.stop()


def may_change() -> bool:
    """Whether this page shows write controls: anyone's when sign-in is off (the editor key decides at the click),
    an editor's or admin's when it is on."""
    return visitor().may(EDITOR) or visitor().open


def change_allowed(nothing_was: str) -> Actor | None:
    """For a write path with sign-in on, before it runs: the actor when the visitor is an editor or admin now,
    else an error saying that nothing was `nothing_was`. (Sign-in off: the caller checks the editor key.)"""
    who = visitor()
    if who.may(EDITOR):
        return who.actor()
    role = who.role or "no role"
    st.error(f"Only an editor or an admin may do this, and you have {role}: nothing was {nothing_was}.")
    return None


def is_admin() -> bool:
    return not visitor().open and visitor().may(ADMIN)
