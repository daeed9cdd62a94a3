"""Numbers, moments and time windows as text, for cards, captions and headings."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pulse.metrics.filters import Filters

AS_OF_HELP = "Recent figures end where the data ends (the last hour it covers), not at today's clock."
USUAL_HELP = (
    "Total listeners ÷ the party's **usual**: the mean total of its (up to) 20 most recent earlier Spaces, without "
    "the lowest and highest quarter; none with fewer than 4. See *How these numbers are computed* at the foot of "
    "the page."
)
GROWTH_FORMAT = "%+.1f%%"  # a change in per cent, everywhere: +24.9%
TOP = (
    "The chart draws the lines with the most tweets in the date range and sums the rest as one grey line; the tables "
    "show each party's top lines and their spike days (their CSVs have every line)."
)


def number(value: float | None, digits: int = 0, suffix: str = "") -> str:
    """A number for a card: thousands separators, '–' when unknown."""
    return "–" if value is None else f"{value:,.{digits}f}{suffix}"


def counted(count: int, thing: str) -> str:
    """'1 campaign', '2 campaigns', '1,204 hashtags': a count and its noun, in the plural unless it is one."""
    return f"{count:,} {thing if count == 1 else thing + 's'}"


def short(value: float | None) -> str:
    """A count in three significant digits where room is short (a phone's head-to-head): 1.07M, 855K, 49.1K, 6."""
    if value is None:
        return "–"
    rounded = float(f"{value:.3g}")
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(rounded) >= size:
            return f"{rounded / size:g}{unit}"
    return f"{rounded:g}"


def growth(pct: float | None) -> str:
    """'+24.9%': a change in per cent, as the tables show it (GROWTH_FORMAT); '–' when unknown."""
    return "–" if pct is None else GROWTH_FORMAT % pct


def usual_multiple(multiple: float | None, party: str, so_far: bool = False) -> str:
    """'2.3× PTI's usual' (a Space's total against its party's usual); while live, 'at least 2.3× PTI's usual so
    far' (its peak so far: the total is at least the peak); '–' without a multiple."""
    if multiple is None:
        return "–"
    return f"at least {multiple:.1f}× {party}'s usual so far" if so_far else f"{multiple:.1f}× {party}'s usual"


def _day(local: datetime, now: datetime | None) -> str:
    """'1 Jun' in the server clock's year, '1 Jun 2022' in any other."""
    this_year = (now or datetime.now(UTC)).astimezone(local.tzinfo).year
    return f"{local:%-d %b}" if local.year == this_year else f"{local:%-d %b %Y}"


def hour_label(start: datetime, tz: str, now: datetime | None = None) -> str:
    """'31 May 21:00–22:00 PKT': the local hour starting at `start` (with the year when not this year)."""
    local = start.astimezone(ZoneInfo(tz))
    return f"{_day(local, now)} {local:%H:%M}–{(start + timedelta(hours=1)).astimezone(ZoneInfo(tz)):%H:%M %Z}"


def day_label(at: datetime, tz: str) -> str:
    """'Thu 21 Apr 2022, 20:00 PKT'."""
    return f"{at.astimezone(ZoneInfo(tz)):%a %-d %b %Y, %H:%M %Z}"


def window_label(end: datetime, hours: int, tz: str, now: datetime | None = None) -> str:
    """'31 May 05:00 – 1 Jun 05:00 PKT': the `hours` before `end`, in local time (with years when not this year)."""
    zone = ZoneInfo(tz)
    start, stop = (end - timedelta(hours=hours)).astimezone(zone), end.astimezone(zone)
    return f"{_day(start, now)} {start:%H:%M} – {_day(stop, now)} {stop:%H:%M %Z}"


def as_of_label(end: datetime, tz: str, now: datetime | None = None) -> str:
    """'1 Jun 05:00 PKT': a moment in local time, with the zone's abbreviation (and the year when not this year)."""
    local = end.astimezone(ZoneInfo(tz))
    return f"{_day(local, now)} {local:%H:%M %Z}"


def range_label(filters: Filters, tz: str, now: datetime | None = None) -> str:
    """The selected range: a preset's hours ('31 May 05:00 – 1 Jun 05:00 PKT') or the local dates of a custom
    range or all the data ('10 Mar 2022 to 20 Mar 2022')."""
    if filters.hours is not None:
        start, end = filters.hours
        return window_label(end, (end - start) // timedelta(hours=1), tz, now)
    return f"{filters.start:%-d %b %Y} to {filters.end:%-d %b %Y}"


def data_age(end: datetime, now: datetime | None = None) -> str | None:
    """How long before the server's clock the data ends, when that is more than a day: '4 years 6 months',
    '2 months', '3 days' (whole units, rounded down); None within a day."""
    now, end = (now or datetime.now(UTC)).astimezone(UTC), end.astimezone(UTC)
    if now - end <= timedelta(days=1):
        return None
    months = (now.year - end.year) * 12 + now.month - end.month
    if (now.day, now.time()) < (end.day, end.time()):  # the last month is not complete yet
        months -= 1
    if months < 1:
        return counted((now - end).days, "day")
    years, months = divmod(months, 12)
    return " ".join([*([counted(years, "year")] if years else []), *([counted(months, "month")] if months else [])])
