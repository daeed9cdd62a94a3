"""Project-wide settings: where the data lives and which time zone cuts the days."""

import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pulse.errors import PulseError

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DATA_DIR = ROOT / "data"
DEFAULT_TZ = "Asia/Karachi"
_INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h)?$")
_SECONDS = {None: 1, "s": 1, "m": 60, "h": 3600}


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


def interval_seconds(text: str) -> float:
    """Seconds from `30s`, `2m`, `1h` or a plain number of seconds (`45`); a PulseError for anything else."""
    match = _INTERVAL.match(str(text).strip().lower())
    if not match or float(match.group(1)) <= 0:
        raise PulseError(f"not an interval such as 30s, 2m or 45: {text!r}")
    return float(match.group(1)) * _SECONDS[match.group(2)]
