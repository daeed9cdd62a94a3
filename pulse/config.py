"""Project-wide settings: where the data lives and which time zone cuts the days."""

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pulse.errors import PulseError

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DATA_DIR = ROOT / "data"
DEFAULT_TZ = "Asia/Karachi"


def data_dir() -> Path:
    """The store the dashboard shows: PULSE_DATA_DIR if set, else the bundled data."""
    return Path(os.environ.get("PULSE_DATA_DIR", BUNDLED_DATA_DIR))


def checked_time_zone(name: str) -> str:
    """`name` if it is an IANA time zone such as Asia/Karachi, else a PulseError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PulseError(f"unknown time zone {name!r}: use an IANA name such as Asia/Karachi or UTC") from None
    return name


def time_zone() -> str:
    """The zone in which days are cut: PULSE_TZ if set, else the bundled data's zone."""
    return checked_time_zone(os.environ.get("PULSE_TZ", DEFAULT_TZ))
