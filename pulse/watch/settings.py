"""The watcher's configuration: watch.toml, checked key by key, and the webhooks it and the environment name."""

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pulse.config import interval_seconds
from pulse.connectors.x_api import is_hashtag
from pulse.errors import PulseError
from pulse.watch.delivery import Webhook
from pulse.watch.tracking import MIN_INTERVAL_S

WEBHOOKS_ENV = "PULSE_WEBHOOK_URLS"
DEFAULTS = {"counts_every": "15m", "spaces_every": "2m", "sample_every": "30s"}
CONFIG_KEYS = {
    "x": ("base_url",),
    "watch": ("counts_every", "spaces_every", "sample_every"),
    "hashtags": ("tag", "party"),
    "hosts": ("user", "party"),
    "alerts": ("webhooks", "spike_sigma", "spike_min_tweets"),
}
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

    def __repr__(self) -> str:  # webhook URLs are secrets
        counts = f"{len(self.hashtags)} hashtag(s), {len(self.hosts)} host(s), {len(self.webhooks)} webhook(s)"
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
            raise fail(f"watch.{key}", str(error)) from None
        if seconds < MIN_INTERVAL_S:
            raise fail(f"watch.{key}", f"at least {MIN_INTERVAL_S:g} s (got {value!r:.40})")
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

    unknown = [k for k in raw if k not in CONFIG_KEYS]
    if unknown:
        raise fail(unknown[0], f"unknown key (allowed: {', '.join(CONFIG_KEYS)})")
    x, watch, alert = (table(name, raw.get(name, {})) for name in ("x", "watch", "alerts"))
    webhooks = alert.get("webhooks", [])
    if not isinstance(webhooks, list) or not all(isinstance(w, str) for w in webhooks):
        raise fail("alerts.webhooks", "must be a list of URLs")
    sigma, least = alert.get("spike_sigma", 3.0), alert.get("spike_min_tweets", 100)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float) or not sigma >= 0:
        raise fail("alerts.spike_sigma", f"must be a number, 0 or more (got {sigma!r})")
    if isinstance(least, bool) or not isinstance(least, int) or least < 0:
        raise fail("alerts.spike_min_tweets", f"must be a whole number, 0 or more (got {least!r})")
    return WatchConfig(
        counts_every=every("counts_every", watch.get("counts_every", DEFAULTS["counts_every"])),
        spaces_every=every("spaces_every", watch.get("spaces_every", DEFAULTS["spaces_every"])),
        sample_every=every("sample_every", watch.get("sample_every", DEFAULTS["sample_every"])),
        hashtags=entries("hashtags", "tag"),
        hosts=entries("hosts", "user"),
        webhooks=tuple(w.strip() for w in webhooks if w.strip()),
        spike_sigma=float(sigma),
        spike_min_tweets=least,
        base_url=text("x.base_url", x["base_url"]) if "base_url" in x else None,
    )


def webhooks_from(config: WatchConfig, environ: dict[str, str] = os.environ) -> list[Webhook]:
    """The config's webhooks and PULSE_WEBHOOK_URLS (comma-separated), each once."""
    urls = [*config.webhooks, *(u.strip() for u in environ.get(WEBHOOKS_ENV, "").split(",") if u.strip())]
    return [Webhook(url, number) for number, url in enumerate(dict.fromkeys(urls), start=1)]


def described(config: WatchConfig, webhooks: list[Webhook]) -> str:
    """What a watcher watches, for its first line: every webhook it posts to, from the config and the environment."""
    in_config = len(set(config.webhooks))
    sources = [f"{in_config} in the config"] if in_config else []
    sources += [f"{len(webhooks) - in_config} from {WEBHOOKS_ENV}"] if len(webhooks) > in_config else []
    counted = f"{len(config.hashtags)} hashtag(s), {len(config.hosts)} host(s), {len(webhooks)} webhook(s)"
    return counted + (f" ({', '.join(sources)})" if sources else "")
