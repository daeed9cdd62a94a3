"""Project-wide settings: where the data lives and which time zone cuts the days."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DATA_DIR = ROOT / "data"
DEFAULT_TZ = "Asia/Karachi"


def data_dir() -> Path:
    """The store the dashboard shows: PULSE_DATA_DIR if set, else the bundled data."""
    return Path(os.environ.get("PULSE_DATA_DIR", BUNDLED_DATA_DIR))


def time_zone() -> str:
    """The zone in which days are cut: PULSE_TZ if set, else the bundled data's zone."""
    return os.environ.get("PULSE_TZ", DEFAULT_TZ)
