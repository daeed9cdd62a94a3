"""The key author ids are pseudonymised with (HMAC-SHA256, pulse.metrics.drivers.with_account_ids).

`PULSE_AUTHOR_SALT` (or `author_salt` in secrets.toml) when it is set; otherwise a random key kept in the data
directory, made on first use, so the CLI and the dashboard on one directory give the same pseudonyms, export
after export and restart after restart, until the key is rotated on purpose (`python -m pulse rotate-author-key`).

The key file is no dataset: the store's listings, the Data page's zip and every export leave it out, and no
message shows what it holds. It is readable by its owner only (0600), as mkstemp makes it whatever the umask.
"""

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import tempfile
from pathlib import Path

import polars as pl

from pulse.errors import PulseError

AUTHOR_SALT_ENV = "PULSE_AUTHOR_SALT"  # or author_salt in secrets.toml: the key of the author-id hash
SHOW_AUTHOR_IDS_ENV = "PULSE_SHOW_AUTHOR_IDS"  # or show_author_ids: "true" shows raw ids (entitled teams only)
KEY_FILE = ".author-key"
KEY_BYTES = 32
_KEY_TEXT = re.compile(rf"[0-9a-f]{{{2 * KEY_BYTES}}}")
ROTATE_COMMAND = "python -m pulse rotate-author-key --data DIR"


def author_key(data: Path, salt: str | None, show_raw: str | None) -> bytes | None:
    """The key author ids are hashed with: `salt` when set, else the data directory's own key (made the first
    time); None when the setting `show_raw` says raw ids are to be shown."""
    if (show_raw or "").strip().lower() in ("1", "true", "yes"):
        return None
    return salt.encode() if salt else stored_key(data)


def pseudonyms(ids: list, key: bytes) -> list[str]:
    """Each id's keyed hash: `a-` and the first 12 hex digits of HMAC-SHA256 with `key` of the id as text."""
    return ["a-" + hmac.new(key, str(i).encode(), hashlib.sha256).hexdigest()[:12] for i in ids]


def pseudonymised(frame: pl.DataFrame, key: bytes | None) -> pl.DataFrame:
    """`frame` with its author_id column as pseudonyms (of the id as compared: stripped text; a blank one stays
    empty), the ones every page and export shows; as it is when `key` is None (raw ids are to be shown) or it has
    no author_id."""
    if key is None or "author_id" not in frame.columns:
        return frame
    text = pl.col("author_id").cast(pl.String).str.strip_chars()
    ids = frame.select(text.filter(text != "").unique())["author_id"]
    hashed = pl.Series(pseudonyms(ids.to_list(), key), dtype=pl.String)
    return frame.with_columns(text.replace_strict(ids, hashed, default=None, return_dtype=pl.String).alias("author_id"))


def stored_key(data: Path) -> bytes:
    """The data directory's author key, made (random, 0600) when there is none yet."""
    path = Path(data) / KEY_FILE
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it first: theirs is the key
            _install(path, replace=False)
    return _read(path)


def rotate_key(data: Path) -> Path:
    """Replace the data directory's author key with a new random one; returns the key file's path."""
    if not Path(data).is_dir():
        raise PulseError(f"{data} is not a directory: name the data directory whose author key to rotate")
    path = Path(data) / KEY_FILE
    _install(path, replace=True)
    return path


def _install(path: Path, replace: bool) -> None:
    """Write a new key to a temp file (mkstemp: 0600), then put it in place whole: over the old key (`replace`),
    or by a link that fails when a key is already there, so two processes starting together agree on one key."""
    try:
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f"{KEY_FILE}.", suffix=".tmp")
    except OSError as error:
        raise _unusable(error) from error
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(secrets.token_hex(KEY_BYTES) + "\n")
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temp, path)
        else:
            os.link(temp, path)
    except FileExistsError:
        raise
    except OSError as error:
        raise _unusable(error) from error
    finally:
        Path(temp).unlink(missing_ok=True)


def _read(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as error:
        raise _unusable(error) from error
    if not _KEY_TEXT.fullmatch(text):  # the message never quotes it: it may be a key all the same
        raise PulseError(
            f"the data directory's author key ({KEY_FILE}) is not one pulse wrote; make a new one with "
            f"`{ROTATE_COMMAND}` (author pseudonyms will change)"
        )
    return bytes.fromhex(text)


def _unusable(error: OSError) -> PulseError:
    # The file's name, not the server's path: this may reach the dashboard.
    return PulseError(
        f"cannot keep the author key ({KEY_FILE}) in the data directory: {error.strerror or error}; let pulse "
        f"write there, or set {AUTHOR_SALT_ENV} to a secret of your own"
    )
