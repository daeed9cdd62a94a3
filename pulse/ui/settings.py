"""What a deployment sets in .streamlit/secrets.toml or the environment: the editor key, the X API token, the
YouTube API key, and how author ids are shown."""

import os

import streamlit as st

from pulse.config import data_dir
from pulse.connectors.x_api import TOKEN_ENV
from pulse.connectors.youtube import KEY_ENV, KEY_SECRET
from pulse.data.author_key import AUTHOR_SALT_ENV, SHOW_AUTHOR_IDS_ENV, author_key
from pulse.display_links import SECRET_ENV, SECRET_NAME
from pulse.ui.access import is_admin, sign_in_on


def _configured(secret: str, variable: str) -> str | None:
    """`secret` from secrets.toml, else the environment `variable`; None when neither is set (or blank)."""
    try:
        value = st.secrets.get(secret)
    except FileNotFoundError:  # no secrets.toml at all
        value = None
    return (value or "").strip() or os.environ.get(variable, "").strip() or None


def configured_editor_key() -> str | None:
    """The key that allows saving: `editor_key` in secrets.toml, else PULSE_EDITOR_KEY; None when neither."""
    return _configured("editor_key", "PULSE_EDITOR_KEY")


def configured_x_token() -> str | None:
    """The X API bearer token: `x_bearer_token` in secrets.toml, else X_BEARER_TOKEN; None when neither. Never shown."""
    return _configured("x_bearer_token", TOKEN_ENV)


def configured_youtube_key() -> str | None:
    """The YouTube Data API key: `youtube_api_key` in secrets.toml, else YOUTUBE_API_KEY; None when neither. Never
    shown."""
    return _configured(KEY_SECRET, KEY_ENV)


def configured_display_secret() -> str | None:
    """What share links to displays are signed with: `display_secret` in secrets.toml, else PULSE_DISPLAY_SECRET."""
    return _configured(SECRET_NAME, SECRET_ENV)


def author_ids_key() -> bytes | None:
    """The key author ids are hashed with on screen and in downloads, the CLI's for the same data directory; None
    when the setting shows raw ids, which with sign-in on it does for admins only."""
    salt, show_raw = _configured("author_salt", AUTHOR_SALT_ENV), _configured("show_author_ids", SHOW_AUTHOR_IDS_ENV)
    if sign_in_on() and not is_admin():
        show_raw = None
    return author_key(data_dir(), salt, show_raw)
