"""Live displays: screens that run by themselves (the war room's wall, the newsroom's public board), configured in
displays.toml. Each names its panels, whether they rotate or share the screen as a grid, how often they rotate and
refresh, when the data counts as stale, its theme, and optionally the parties it shows. Pure Python: the page is
pulse.ui.display, the share links pulse.display_links.

The file is strict TOML: an unknown key, panel or theme is refused with the file and key named, never ignored.
"""

import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pulse.config import ROOT, interval_seconds
from pulse.errors import PulseError

DISPLAYS_ENV = "PULSE_DISPLAYS"
DEFAULT_FILE = ROOT / ".streamlit" / "displays.toml"
MAX_CONFIG_BYTES = 64 * 1024
# What each panel shows (pulse.ui.display draws them).
PANELS = {
    "today": "The last 24 hours by party",
    "hour": "The strongest hashtag hour",
    "live": "Live Spaces and streams",
    "alerts": "The newest alerts",
    "record": "Space and stream records",
    "share": "Share of voice, last 24 hours",
    "claims": "The newest claims, checked",
}
LAYOUTS = ("rotate", "grid")
THEMES = ("light", "dark")
KEYS = ("name", "panels", "layout", "rotate", "refresh", "stale_after", "theme", "parties")
NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MIN_SECONDS = 2.0  # a screen that reruns faster than this only loads the server
MAX_GRID_PANELS = 4  # a grid of more no longer reads from across the room


@dataclass(frozen=True)
class Display:
    """One screen: its panels in order, rotated or in a grid, its timings in seconds, theme and party filter."""

    name: str
    panels: tuple[str, ...]
    layout: str = "rotate"
    rotate_s: float = 20.0
    refresh_s: float = 30.0
    stale_after_s: float = 30 * 60.0
    theme: str = "light"
    parties: tuple[str, ...] | None = None

    @property
    def tick_s(self) -> float:
        """How often the screen reruns: every `refresh` at least, and, when it rotates, on each turn: `rotate`
        split into as few equal steps as keep each within `refresh` (20 s and 30 s: every 20 s; 20 s and 15 s:
        every 10 s), so that a turn never waits for the next refresh."""
        if self.layout != "rotate" or len(self.panels) < 2:
            return self.refresh_s
        return self.rotate_s / math.ceil(self.rotate_s / self.refresh_s)


DEFAULT = Display("default", ("today", "live", "alerts", "hour"))


def parse_displays(text: str, source: str) -> dict[str, Display]:
    """The displays of a displays.toml's text, by name; a PulseError naming `source` and the key for anything
    not understood."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PulseError(f"{source}: not valid TOML: {error}") from None
    except RecursionError:
        raise PulseError(f"{source}: not valid TOML: nested too deeply") from None
    unknown = sorted(set(raw) - {"display"})
    if unknown:
        raise PulseError(f"{source}: {unknown[0]}: unknown key (a displays file holds [[display]] tables only)")
    items = raw.get("display", [])
    if not isinstance(items, list) or not items:
        raise PulseError(f"{source}: display: must be one or more [[display]] tables")
    found: dict[str, Display] = {}
    for number, item in enumerate(items, start=1):
        display = _display(item, f"{source}: display[{number}]")
        if display.name in found:
            raise PulseError(f"{source}: display[{number}].name: {display.name!r} is named twice")
        found[display.name] = display
    return found


def _display(item: object, where: str) -> Display:
    if not isinstance(item, dict):
        raise PulseError(f"{where}: must be a table ([[display]])")
    unknown = [key for key in item if key not in KEYS]
    if unknown:
        raise PulseError(f"{where}.{unknown[0]}: unknown key (allowed: {', '.join(KEYS)})")
    name = item.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise PulseError(f"{where}.name: lower-case letters, digits, - and _, at most 40 (got {name!r:.60})")
    panels = item.get("panels")
    if not isinstance(panels, list) or not panels or not all(isinstance(p, str) for p in panels):
        raise PulseError(f"{where}.panels: a list of one or more panels ({', '.join(PANELS)})")
    for panel in panels:
        if panel not in PANELS:
            raise PulseError(f"{where}.panels: unknown panel {panel!r:.40}: use {', '.join(PANELS)}")
    if len(set(panels)) < len(panels):
        raise PulseError(f"{where}.panels: a panel is listed twice")
    layout = _choice(item, "layout", LAYOUTS, where)
    if layout == "grid" and len(panels) > MAX_GRID_PANELS:
        raise PulseError(f"{where}.panels: a grid holds at most {MAX_GRID_PANELS} panels (got {len(panels)})")
    parties = item.get("parties")
    if parties is not None and (
        not isinstance(parties, list) or not parties or not all(isinstance(p, str) and p.strip() for p in parties)
    ):
        raise PulseError(f'{where}.parties: a list of one or more party codes, such as ["PTI", "PPP"]')
    return Display(
        name=name,
        panels=tuple(panels),
        layout=layout,
        rotate_s=_seconds(item, "rotate", DEFAULT.rotate_s, where),
        refresh_s=_seconds(item, "refresh", DEFAULT.refresh_s, where),
        stale_after_s=_seconds(item, "stale_after", DEFAULT.stale_after_s, where),
        theme=_choice(item, "theme", THEMES, where),
        parties=tuple(p.strip() for p in parties) if parties is not None else None,
    )


def _choice(item: dict, key: str, allowed: tuple[str, ...], where: str) -> str:
    value = item.get(key, allowed[0])
    if value not in allowed:
        raise PulseError(f"{where}.{key}: {' or '.join(allowed)} (got {value!r:.40})")
    return value


def _seconds(item: dict, key: str, default: float, where: str) -> float:
    if key not in item:
        return default
    value = item[key]
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise PulseError(f"{where}.{key}: a duration such as 20s, 5m or 1h (got {value!r:.40})")
    try:
        seconds = interval_seconds(str(value))
    except PulseError as error:
        raise PulseError(f"{where}.{key}: {error}") from None
    if seconds < MIN_SECONDS:
        raise PulseError(f"{where}.{key}: at least {MIN_SECONDS:g} s (got {value!r:.40})")
    return seconds


def displays_file() -> Path:
    """Where the displays are configured: PULSE_DISPLAYS, else .streamlit/displays.toml."""
    named = os.environ.get(DISPLAYS_ENV, "").strip()
    return Path(named) if named else DEFAULT_FILE


def load_displays(path: Path | None = None) -> dict[str, Display]:
    """The configured displays by name; the built-in `default` alone when no file is configured (and it is not
    named by PULSE_DISPLAYS: a file named there must exist)."""
    path = path or displays_file()
    named = bool(os.environ.get(DISPLAYS_ENV, "").strip())
    try:
        with open(path, "rb") as file:  # no further than the cap: the path may be /dev/zero
            content = file.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        if named:
            raise PulseError(f"{DISPLAYS_ENV}: {path} not found") from None
        return {DEFAULT.name: DEFAULT}
    except OSError as error:
        raise PulseError(f"{path.name}: cannot be read: {error.strerror or error}") from None
    if len(content) > MAX_CONFIG_BYTES:
        raise PulseError(f"{path.name}: larger than {MAX_CONFIG_BYTES // 1024} KB: not a displays file")
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise PulseError(f"{path.name}: not UTF-8 text") from None
    found = parse_displays(text, path.name)
    return found if DEFAULT.name in found else {DEFAULT.name: DEFAULT, **found}


def display_named(name: str | None, displays: dict[str, Display]) -> Display:
    """The display called `name` (the first configured one when None); a PulseError listing them otherwise."""
    if name is None:
        configured = [d for d in displays.values() if d.name != DEFAULT.name]
        return configured[0] if configured else displays[DEFAULT.name]
    if name not in displays:
        raise PulseError(f"no display is called {name!r:.60}: the displays are {', '.join(displays)}")
    return displays[name]
