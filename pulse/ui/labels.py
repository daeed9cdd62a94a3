"""Numbers, moments and time windows as text, for cards, captions and headings."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

AS_OF_HELP = "Recent figures end where the data ends (the last hour it covers), not at today's clock."
TOP = (
    "The chart draws the lines with the most tweets in the date range and sums the rest as one grey line; the tables "
    "show each party's top lines and their spike days (their CSVs have every line)."
)


def number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    """A number for a card: thousands separators, '–' when unknown."""
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


def hour_label(start: datetime, tz: str) -> str:
    """'31 May 21:00–22:00 PKT': the local hour starting at `start`."""
    local = start.astimezone(ZoneInfo(tz))
    return f"{local:%-d %b %H:%M}–{(start + timedelta(hours=1)).astimezone(ZoneInfo(tz)):%H:%M %Z}"


def day_label(at: datetime, tz: str) -> str:
    """'Thu 21 Apr 2022, 20:00 PKT'."""
    return f"{at.astimezone(ZoneInfo(tz)):%a %-d %b %Y, %H:%M %Z}"


def window_label(end: datetime, hours: int, tz: str) -> str:
    """'31 May 05:00 – 1 Jun 05:00 PKT': the `hours` before `end`, in local time."""
    zone = ZoneInfo(tz)
    start, stop = (end - timedelta(hours=hours)).astimezone(zone), end.astimezone(zone)
    return f"{start:%-d %b %H:%M} – {stop:%-d %b %H:%M %Z}"


def as_of_label(end: datetime, tz: str) -> str:
    """'1 Jun 05:00 PKT': a moment in local time, with the zone's abbreviation."""
    return f"{end.astimezone(ZoneInfo(tz)):%-d %b %H:%M %Z}"
