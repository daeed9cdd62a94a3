"""`make run`: start the dashboard for this machine only, unless told to serve others.

Streamlit listens on every interface by default, so a laptop on a shared network would hand the war room's data to
anyone on it. A local start binds 127.0.0.1 instead, unless PULSE_HOST names the address to listen on, or
Streamlit's own server.address is set (STREAMLIT_SERVER_ADDRESS, or .streamlit/config.toml in this directory or
the home directory), which Streamlit then applies as it always does.
"""

import os
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

from streamlit import config
from streamlit.web import cli

LOCAL_ONLY = "127.0.0.1"
HOST_ENV = "PULSE_HOST"


def address_flags(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The --server.address to give `streamlit run`: PULSE_HOST, none where Streamlit's own setting decides, else
    this machine only."""
    host = environ.get(HOST_ENV, "").strip()
    if host:
        return ["--server.address", host]
    if environ.get("STREAMLIT_SERVER_ADDRESS", "").strip() or _address_in_config_files():
        return []
    return ["--server.address", LOCAL_ONLY]


def _address_in_config_files() -> bool:
    # Read here rather than through config.get_option, which would parse the configuration once before `run` parses
    # it again with the flags, and make Streamlit warn that its server settings changed.
    for file in config.get_config_files("config.toml"):
        try:
            settings = tomllib.loads(Path(file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError):
            continue  # no such file; or a broken one, which Streamlit itself reports
        if str(settings.get("server", {}).get("address", "")).strip():
            return True
    return False


def main(args: list[str]) -> None:
    """`streamlit run dashboard.py ARGS` with the address flags, in this process as `python -m streamlit` runs it
    (the modules imported so far stay loaded); exits when the server stops."""
    cli.main(["run", "dashboard.py", *args, *address_flags()], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
