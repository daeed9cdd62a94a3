"""Numbers, moments and time windows as text, for cards, captions and headings."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pulse.metrics.filters import Filters

AS_OF_HELP = "Recent figures end where the data ends (the last hour it covers), not at today's clock."
USUAL_HELP = (
    "Total listeners ÷ the party's **usual**: the mean total of its (up to) 20 most recent earlier Spaces, without "
    "the lowest and highest quarter; none with fewer than 4. See *How these numbers are computed* at the foot of "
    "the page."
)


def number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    """A number for a card: thousands separators, '–' when unknown."""
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


def usual_multiple(multiple: float | None, party: str, so_far: bool = False) -> str:
    """'2.3× PTI's usual' (a Space's total against its party's usual); while live, 'at least 2.3× PTI's usual so
    far' (its peak so far: the total is at least the peak); '–' without a multiple."""
    if multiple is None:
        return "–"
    return f"at least {multiple:.1f}× {party}'s usual so far" if so_far else f"{multiple:.1f}× {party}'s usual"


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


def range_label(filters: Filters, tz: str) -> str:
    """The selected range: a preset's hours ('31 May 05:00 – 1 Jun 05:00 PKT') or the local dates of a custom
    range or all the data ('10 Mar 2022 to 20 Mar 2022')."""
    if filters.hours is not None:
        start, end = filters.hours
        return window_label(end, (end - start) // timedelta(hours=1), tz)
    return f"{filters.start:%-d %b %Y} to {filters.end:%-d %b %Y}"
