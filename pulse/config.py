"""Project-wide settings: where the data lives and which time zone cuts the days."""

import os
import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pulse.errors import PulseError

ROOT = Path(__file__).resolve().parents[1]
BUNDLED_DATA_DIR = ROOT / "data"
# The file that marks a data directory as the bundled 2022 sample (data/README.md says which of its figures are
# reported facts): pages say the data is illustrative, and writers keep live data out of it (pulse.data.store).
SAMPLE_MARKER = "SAMPLE.md"
DEFAULT_TZ = "Asia/Karachi"
_INTERVAL = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h)?$")
_SECONDS = {None: 1, "s": 1, "m": 60, "h": 3600}
MAX_INTERVAL_S = 86_400.0  # no job runs less than daily: "1" and 400 zeros would be infinity


# The secrets file a command reads, as Streamlit finds it: .streamlit/secrets.toml in the directory it runs from.
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


def file_secret(secrets: Path, *keys: str) -> str | None:
    """The text at `keys` (a name, or a [table] and a name) in the secrets file `secrets`, stripped; None when the
    file or the value is not there, or the value is not text. A file that is not TOML is a PulseError naming the
    file only: neither its content nor the parser's message (which can quote a line of it) is repeated."""
    try:
        value: object = tomllib.loads(secrets.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        raise PulseError(f"{secrets} could not be read as TOML") from None
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value.strip() or None if isinstance(value, str) else None


def data_dir() -> Path:
    """The store the dashboard shows: PULSE_DATA_DIR if set, else the bundled data."""
    return Path(os.environ.get("PULSE_DATA_DIR", BUNDLED_DATA_DIR))


def is_sample(directory: Path) -> bool:
    """Whether `directory` is the bundled sample (or a copy of it): it holds SAMPLE.md."""
    return (Path(directory) / SAMPLE_MARKER).is_file()


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


# -- budgets: what one file may make the server hold in memory ---------------------------------------------
# Defaults for a 2-core, 4 GB server (docs/security.md). A file read whole and validated cell by cell peaks at
# about 1 KB a row (0.95 GB for 1M raw tweets); raw tweets in the data directory are aggregated as they stream
# (2.5 GiB for 20M rows, the largest benchmark size).
DEFAULT_MAX_ROWS = 1_000_000
DEFAULT_MAX_COLUMNS = 50
DEFAULT_MAX_RAW_TWEETS = 20_000_000
DEFAULT_MAX_UNPACKED_MB = 500
DEFAULT_HISTORY_VERSIONS = 20
# The first tweet was sent on 21 March 2006; a time before it, or more than a year ahead, is a typing error.
DEFAULT_EARLIEST_DATE = date(2006, 3, 21)
LATEST_DATE_AHEAD = timedelta(days=365)
# Counts are capped at 10^9 in the contract; with at most 10^9 rows no sum of them reaches 2^63.
ROWS_CEILING = 1_000_000_000


def _whole_number(name: str, default: int, ceiling: int = ROWS_CEILING) -> int:
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) <= ceiling:
        raise PulseError(f"{name}={os.environ[name]!r} is not a whole number from 1 to {ceiling:,}")
    return int(text)


def _date(name: str, default: date) -> date:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PulseError(f"{name}={text!r} is not a date (YYYY-MM-DD)") from None


def max_rows() -> int:
    """Rows one file read whole may have (uploads, URL fetches, stored datasets): PULSE_MAX_ROWS."""
    return _whole_number("PULSE_MAX_ROWS", DEFAULT_MAX_ROWS)


def max_columns() -> int:
    """Columns one file may have: PULSE_MAX_COLUMNS (the widest dataset has 10; extra ones are read, then ignored)."""
    return _whole_number("PULSE_MAX_COLUMNS", DEFAULT_MAX_COLUMNS, ceiling=100_000)


def max_raw_tweets() -> int:
    """Rows a stored raw-tweets file aggregated as it streams may have: PULSE_MAX_RAW_TWEETS."""
    return _whole_number("PULSE_MAX_RAW_TWEETS", DEFAULT_MAX_RAW_TWEETS)


def max_unpacked_bytes() -> int:
    """What a compressed file (Parquet, xlsx) may unpack to: PULSE_MAX_UNPACKED_MB megabytes."""
    return _whole_number("PULSE_MAX_UNPACKED_MB", DEFAULT_MAX_UNPACKED_MB, ceiling=1_000_000) * 1024 * 1024


def history_versions() -> int:
    """Earlier versions the store keeps per dataset: PULSE_HISTORY_VERSIONS."""
    return _whole_number("PULSE_HISTORY_VERSIONS", DEFAULT_HISTORY_VERSIONS, ceiling=100_000)


def date_window() -> tuple[date, date]:
    """The first and last plausible dates of any time in the data: PULSE_EARLIEST_DATE, PULSE_LATEST_DATE."""
    earliest = _date("PULSE_EARLIEST_DATE", DEFAULT_EARLIEST_DATE)
    latest = _date("PULSE_LATEST_DATE", datetime.now(UTC).date() + LATEST_DATE_AHEAD)
    if latest < earliest:
        raise PulseError(f"PULSE_LATEST_DATE ({latest}) is before PULSE_EARLIEST_DATE ({earliest})")
    return earliest, latest


def interval_seconds(text: str) -> float:
    """Seconds from `30s`, `2m`, `1h` or a plain number of seconds (`45`), at most a day; a PulseError for anything
    else."""
    match = _INTERVAL.match(str(text).strip().lower())
    if not match or float(match.group(1)) <= 0:
        raise PulseError(f"not an interval such as 30s, 2m or 45: {text!r:.40}")
    seconds = float(match.group(1)) * _SECONDS[match.group(2)]
    if not seconds <= MAX_INTERVAL_S:
        raise PulseError(f"at most a day ({MAX_INTERVAL_S:,.0f} s, 24h): {text!r:.40}")
    return seconds


# -- claims: how far `equals` and `about` may be from the measure (pulse.metrics.claims), in per cent of the claim --
DEFAULT_CLAIM_EQUALS_PCT = "1"
DEFAULT_CLAIM_ABOUT_PCT = "10"


def _percent(name: str, default: str) -> Decimal:
    text = os.environ.get(name, "").strip() or default
    try:
        value = Decimal(text.rstrip("%").strip())
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 100:
        raise PulseError(f"{name}={text!r} is not a per cent from 0 to 100")
    return value


def claim_tolerances() -> tuple[Decimal, Decimal]:
    """The tolerances of `equals` and `about` as fractions of the claim: PULSE_CLAIM_EQUALS_PCT (default 1) and
    PULSE_CLAIM_ABOUT_PCT (default 10), read exactly as written."""
    return (
        _percent("PULSE_CLAIM_EQUALS_PCT", DEFAULT_CLAIM_EQUALS_PCT) / 100,
        _percent("PULSE_CLAIM_ABOUT_PCT", DEFAULT_CLAIM_ABOUT_PCT) / 100,
    )
