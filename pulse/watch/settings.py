"""The watcher's configuration: watch.toml, checked key by key, and the webhooks it and the environment name."""

import math
import os
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from pulse.config import interval_seconds
from pulse.connectors.x_api import is_hashtag
from pulse.connectors.youtube import DEFAULT_DAILY_QUOTA, channel_id_from
from pulse.errors import PulseError
from pulse.watch.delivery import Webhook
from pulse.watch.tracking import MIN_INTERVAL_S

WEBHOOKS_ENV = "PULSE_WEBHOOK_URLS"
DEFAULTS = {"counts_every": "15m", "spaces_every": "2m", "sample_every": "30s", "streams_every": "5m"}
CONFIG_KEYS = {
    "x": ("base_url",),
    "watch": ("counts_every", "spaces_every", "sample_every"),
    "hashtags": ("tag", "party"),
    "hosts": ("user", "party"),
    "alerts": ("webhooks", "spike_sigma", "spike_min_tweets"),
    "youtube": ("base_url", "daily_quota", "streams_every"),
    "channels": ("id", "party"),
}
# The YouTube quota plan: each channel's newest videos are looked at every streams_every (a playlistItems and a
# videos call, 1 unit each), and one two-hour live stream per channel a day is sampled every sample_every.
DAY_S = 86_400
CALLS_PER_LOOK = 2
STREAM_S_PER_CHANNEL = 7_200
MAX_CONFIG_BYTES = 1024 * 1024  # a watch.toml is a few KB: anything near this is not one


@dataclass(frozen=True)
class WatchConfig:
    """watch.toml, checked: see CONFIG_KEYS and the README."""

    counts_every: float = 900.0
    spaces_every: float = 120.0
    sample_every: float = 30.0
    hashtags: tuple[tuple[str, str], ...] = ()  # (tag, party)
    hosts: tuple[tuple[str, str], ...] = ()  # (username or user id, party)
    webhooks: tuple[str, ...] = ()
    spike_sigma: float = 3.0
    spike_min_tweets: int = 100
    base_url: str | None = None
    channels: tuple[tuple[str, str], ...] = ()  # (YouTube channel id, party)
    streams_every: float = 300.0
    daily_quota: int = DEFAULT_DAILY_QUOTA
    youtube_base_url: str | None = None

    def __repr__(self) -> str:  # webhook URLs are secrets
        counts = f"{len(self.hashtags)} hashtag(s), {len(self.hosts)} host(s), {len(self.channels)} channel(s), "
        counts += f"{len(self.webhooks)} webhook(s)"
        return f"WatchConfig({counts})"


def read_config(path: Path) -> WatchConfig:
    """Read and check watch.toml; any unknown key or bad value is a PulseError naming the file and key."""
    try:
        with open(path, "rb") as file:  # read no further than the cap: the path may be /dev/zero or a FIFO
            content = file.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise PulseError(f"watch config {path} not found") from None
    except OSError as error:
        raise PulseError(f"watch config {path} cannot be read: {error.strerror or error}") from None
    if len(content) > MAX_CONFIG_BYTES:
        raise PulseError(f"{path}: larger than {MAX_CONFIG_BYTES // 1024} KB: not a watch config")
    try:
        raw = tomllib.loads(content.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise PulseError(f"{path}: not valid TOML: {error}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise PulseError(f"{path}: not valid TOML: nested too deeply") from None

    def fail(key: str, why: str) -> PulseError:
        return PulseError(f"{path}: {key}: {why}")

    def table(name: str, value: object) -> dict:
        if not isinstance(value, dict):
            raise fail(name, f"must be a table ([{name.split('[')[0]}])")
        unknown = [k for k in value if k not in CONFIG_KEYS[name.split("[")[0]]]
        if unknown:
            allowed = ", ".join(CONFIG_KEYS[name.split("[")[0]])
            raise fail(f"{name}.{unknown[0]}", f"unknown key (allowed in [{name.split('[')[0]}]: {allowed})")
        return value

    def text(key: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise fail(key, f"must be non-empty text (got {value!r})")
        return value.strip()

    def every(key: str, value: object) -> float:
        try:
            seconds = interval_seconds(str(value))
        except PulseError as error:
            raise fail(key if "." in key else f"watch.{key}", str(error)) from None
        if seconds < MIN_INTERVAL_S:
            raise fail(key if "." in key else f"watch.{key}", f"at least {MIN_INTERVAL_S:g} s (got {value!r:.40})")
        return seconds

    def entries(name: str, first: str) -> tuple[tuple[str, str], ...]:
        items = raw.get(name, [])
        if not isinstance(items, list):
            raise fail(name, f"must be a list of tables ([[{name}]])")
        found, seen = [], {}
        for number, item in enumerate(items, start=1):
            where = f"{name}[{number}]"
            item = table(where, item)
            for key in (first, "party"):
                if key not in item:
                    raise fail(where, f"{key} is missing")
            found.append((text(f"{where}.{first}", item[first]).lstrip("#@"), text(f"{where}.party", item["party"])))
            # A hashtag in any script's letters, as X's hashtags and the data files have them; a username in ASCII.
            if not is_hashtag(found[-1][0]) or (first == "user" and not found[-1][0].isascii()):
                raise fail(f"{where}.{first}", f"letters, digits and _ only (got {item[first]!r:.60})")
            # Matched as hashtags and usernames always are: case-insensitively. A hashtag may count for two
            # parties; a host belongs to one.
            key = found[-1][0].lower() if first == "user" else (found[-1][0].lower(), found[-1][1])
            if key in seen:
                twice = f"{item[first]!r} is listed twice (also as {name}[{seen[key]}]; case does not count)"
                raise fail(f"{where}.{first}", twice)
            seen[key] = number
        return tuple(found)

    def channels() -> tuple[tuple[str, str], ...]:
        items = raw.get("channels", [])
        if not isinstance(items, list):
            raise fail("channels", "must be a list of tables ([[channels]])")
        found: dict[str, tuple[str, str]] = {}
        for number, item in enumerate(items, start=1):
            where = f"channels[{number}]"
            item = table(where, item)
            for key in ("id", "party"):
                if key not in item:
                    raise fail(where, f"{key} is missing")
            try:
                channel = channel_id_from(text(f"{where}.id", item["id"]))
            except PulseError as error:
                raise fail(f"{where}.id", str(error)) from None
            if channel in found:
                raise fail(f"{where}.id", f"{channel} is listed twice (a channel belongs to one party)")
            found[channel] = (channel, text(f"{where}.party", item["party"]))
        return tuple(found.values())

    unknown = [k for k in raw if k not in CONFIG_KEYS]
    if unknown:
        raise fail(unknown[0], f"unknown key (allowed: {', '.join(CONFIG_KEYS)})")
    x, watch, alert, youtube = (table(name, raw.get(name, {})) for name in ("x", "watch", "alerts", "youtube"))
    quota = youtube.get("daily_quota", DEFAULT_DAILY_QUOTA)
    if isinstance(quota, bool) or not isinstance(quota, int) or not 1 <= quota <= 1_000_000_000:
        raise fail("youtube.daily_quota", f"must be a whole number of units, 1 or more (got {quota!r:.40})")
    webhooks = alert.get("webhooks", [])
    if not isinstance(webhooks, list) or not all(isinstance(w, str) for w in webhooks):
        raise fail("alerts.webhooks", "must be a list of URLs")
    sigma, least = alert.get("spike_sigma", 3.0), alert.get("spike_min_tweets", 100)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma >= 0:
        raise fail("alerts.spike_sigma", f"must be a number, 0 or more (got {sigma!r})")
    if isinstance(least, bool) or not isinstance(least, int) or least < 0:
        raise fail("alerts.spike_min_tweets", f"must be a whole number, 0 or more (got {least!r})")
    config = WatchConfig(
        counts_every=every("counts_every", watch.get("counts_every", DEFAULTS["counts_every"])),
        spaces_every=every("spaces_every", watch.get("spaces_every", DEFAULTS["spaces_every"])),
        sample_every=every("sample_every", watch.get("sample_every", DEFAULTS["sample_every"])),
        hashtags=entries("hashtags", "tag"),
        hosts=entries("hosts", "user"),
        webhooks=tuple(w.strip() for w in webhooks if w.strip()),
        spike_sigma=float(sigma),
        spike_min_tweets=least,
        base_url=text("x.base_url", x["base_url"]) if "base_url" in x else None,
        channels=channels(),
        streams_every=every("youtube.streams_every", youtube.get("streams_every", DEFAULTS["streams_every"])),
        daily_quota=quota,
        youtube_base_url=text("youtube.base_url", youtube["base_url"]) if "base_url" in youtube else None,
    )
    if config.channels and quota_plan(config) > config.daily_quota:
        raise fail("youtube.streams_every", over_quota(config))
    return config


def quota_plan(config: WatchConfig) -> Fraction:
    """The YouTube units a day the config plans to spend: channels × (86,400 s / streams_every) × 2, plus one
    two-hour stream per channel sampled every sample_every (channels × 7,200 s / sample_every)."""
    channels = len(config.channels)
    looks = Fraction(channels * DAY_S * CALLS_PER_LOOK) / Fraction(config.streams_every)
    return looks + Fraction(channels * STREAM_S_PER_CHANNEL) / Fraction(config.sample_every)


def over_quota(config: WatchConfig) -> str:
    """Why a config's quota plan is refused, and the shortest streams_every (whole seconds) that fits, if any."""
    channels = len(config.channels)
    samples = Fraction(channels * STREAM_S_PER_CHANNEL) / Fraction(config.sample_every)
    plan = (
        f"{len(config.channels)} channel(s) × 86,400 s / {config.streams_every:g} s × {CALLS_PER_LOOK} calls + "
        f"{channels} × 7,200 s / {config.sample_every:g} s of samples = {math.ceil(quota_plan(config)):,} units a day, "
        f"more than daily_quota {config.daily_quota:,}"
    )
    left = config.daily_quota - samples
    if left <= 0:
        return f"{plan}; sampling alone needs {math.ceil(samples):,}: raise watch.sample_every or daily_quota"
    shortest = math.ceil(Fraction(channels * DAY_S * CALLS_PER_LOOK) / left)
    if shortest > DAY_S:
        return f"{plan}; no streams_every of a day or less fits: raise daily_quota or watch fewer channels"
    return f"{plan}; the shortest streams_every that fits is {shortest} s"


def webhooks_from(config: WatchConfig, environ: dict[str, str] = os.environ) -> list[Webhook]:
    """The config's webhooks and PULSE_WEBHOOK_URLS (comma-separated), each once."""
    urls = [*config.webhooks, *(u.strip() for u in environ.get(WEBHOOKS_ENV, "").split(",") if u.strip())]
    return [Webhook(url, number) for number, url in enumerate(dict.fromkeys(urls), start=1)]


def described(config: WatchConfig, webhooks: list[Webhook]) -> str:
    """What a watcher watches, for its first line: every webhook it posts to, from the config and the environment."""
    in_config = len(set(config.webhooks))
    sources = [f"{in_config} in the config"] if in_config else []
    sources += [f"{len(webhooks) - in_config} from {WEBHOOKS_ENV}"] if len(webhooks) > in_config else []
    counted = f"{len(config.hashtags)} hashtag(s), {len(config.hosts)} host(s), "
    counted += f"{len(config.channels)} YouTube channel(s), " if config.channels else ""
    counted += f"{len(webhooks)} webhook(s)"
    return counted + (f" ({', '.join(sources)})" if sources else "")
