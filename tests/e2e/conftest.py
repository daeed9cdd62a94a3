"""End-to-end fixtures: one real app server and one headless Debian Chromium for the whole e2e package.

The server runs `streamlit run dashboard.py` from the repo on a free port, on a copy of the bundled data in a
temporary directory (tests that save data never touch `data/`), with its own secrets file holding a test editor
key. Every test gets fresh browser contexts (own cookies, own Streamlit sessions) from the one browser.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import IN_CI

from .streamlit_dom import ROOT, is_known_noise, open_page, prepare_context, screenshot

E2E_DIR = Path(__file__).resolve().parent
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path(os.environ.get("PULSE_E2E_CHROMIUM", "/usr/bin/chromium"))
EDITOR_KEY = "e2e-editor-key-not-a-secret"
VIEWPORT = {"width": 1400, "height": 2400}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_S = 90


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make test installs requirements-dev.txt)"
    return None


MISSING = browser_missing()


_E2E_COUNT = pytest.StashKey[int]()


def _is_e2e(item: pytest.Item) -> bool:
    return E2E_DIR in Path(item.path).parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    e2e = [item for item in items if _is_e2e(item)]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    config.stash[_E2E_COUNT] = len(e2e)
    if MISSING and not IN_CI:
        skip = pytest.mark.skip(reason=f"BROWSER TESTS NOT RUN: {MISSING}")
        for item in e2e:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    count = config.stash.get(_E2E_COUNT, 0)
    if MISSING and count:
        what = "FAILED (CI must run them)" if IN_CI else "SKIPPED"
        terminalreporter.write_sep("!", f"{count} END-TO-END BROWSER TESTS {what}: {MISSING}", red=True, bold=True)


# -- the app server -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class App:
    url: str
    data_dir: Path
    log: Path
    editor_key: str = EDITOR_KEY

    def at(self, path: str = "") -> str:
        return f"{self.url}/{path.lstrip('/')}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except OSError:
        return False


def _tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def bundled_copy(work: Path) -> Path:
    """A copy of the bundled data's CSV files in `work`/data (tests that save data never touch `data/`)."""
    data = work / "data"
    data.mkdir()
    for csv in sorted((ROOT / "data").glob("*.csv")):
        shutil.copy(csv, data / csv.name)
    return data


@contextmanager
def streamlit_server(
    data: Path,
    log: Path,
    secrets: Path | None = None,
    env: dict[str, str | None] | None = None,
    port: int | None = None,
    host: str = "localhost",
) -> Iterator[str]:
    """`streamlit run dashboard.py` from the repo on `data`, logging to `log`, until the block ends; yields its URL.

    `secrets` names the only secrets file read (Streamlit otherwise reads <cwd>/.streamlit/secrets.toml and
    ~/.streamlit/secrets.toml, so a developer's real secrets could leak in). `env` adds variables, or removes those
    set to None. `port` is a free one unless given (sign-in needs the URL in its secrets before the server starts).
    """
    port = port or _free_port()
    url = f"http://{host}:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboard.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.fileWatcherType", "none",  # others edit pages while we run; no polling, no surprise reruns
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    if secrets is not None:
        command += ["--secrets.files", str(secrets)]
    variables = {**os.environ, "PULSE_DATA_DIR": str(data), **(env or {})}
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env={name: value for name, value in variables.items() if value is not None},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_S
        while not _healthy(url):
            if server.poll() is not None:
                pytest.fail(f"streamlit exited with {server.returncode} before serving:\n{_tail(log)}", pytrace=False)
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer {url}/_stcore/health in {SERVER_START_S} s:\n{_tail(log)}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="package")
def app(tmp_path_factory: pytest.TempPathFactory):
    """The real dashboard, served by Streamlit on a free port, on a copy of the bundled data."""
    if MISSING:  # only reached in CI: locally the tests were skipped at collection
        pytest.fail(f"End-to-end tests cannot run in CI: {MISSING}", pytrace=False)
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)

    work = tmp_path_factory.mktemp("e2e-app")
    data = bundled_copy(work)
    secrets = work / "secrets.toml"
    secrets.write_text(f'editor_key = "{EDITOR_KEY}"\n', encoding="utf-8")
    log = ARTIFACTS / "streamlit.log"
    with streamlit_server(data, log, secrets, {"PULSE_EDITOR_KEY": EDITOR_KEY}) as url:
        yield App(url, data, log)


# -- the browser ----------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser(app):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # launch() gives every browser a fresh temporary user-data dir of its own and removes it on close.
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visitor:
    """One staff member at the dashboard: their own browser context and tab, and what the console said."""

    app: App
    context: object
    page: object
    shots: Path
    console_errors: list[str] = field(default_factory=list)

    def open(self, path_or_url: str = "") -> None:
        """Load a page of the app ("Data", "" for the overview) or a full URL, and wait for it to finish."""
        open_page(self.page, path_or_url if "://" in path_or_url else self.app.at(path_or_url))

    def shot(self, name: str) -> None:
        screenshot(self.page, self.shots / f"{name}.png")


@pytest.fixture
def visitor(app, browser, request):
    """Make a visitor (a fresh browser context with one tab, at `viewport`, with playwright's device options such
    as is_mobile); each is photographed and closed at the end."""
    made: list[Visitor] = []
    shots = ARTIFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)

    def make(viewport: dict = VIEWPORT, **device) -> Visitor:
        context = browser.new_context(viewport=viewport, accept_downloads=True, **device)
        prepare_context(context)
        person = Visitor(app, context, context.new_page(), shots)

        def on_console(message) -> None:
            if message.type == "error" and not is_known_noise(message.text, message.location.get("url", ""), app.url):
                person.console_errors.append(f"{message.text} ({message.location.get('url', '')})")

        context.on("console", on_console)
        context.on("weberror", lambda error: person.console_errors.append(f"uncaught: {error.error}"))
        made.append(person)
        return person

    yield make
    for number, person in enumerate(made, start=1):
        try:  # the end state of every tab, pass or fail: this is what a failure looked like
            person.shot(f"end-{number}")
        except Exception as error:  # a crashed page must not hide the test's own failure
            print(f"could not photograph visitor {number}: {error}")
        person.context.close()


@pytest.fixture
def restore_data(app):
    """Put the app's data directory back as it was, whatever a test saved into it."""
    before = {p.name: p.read_bytes() for p in app.data_dir.iterdir() if p.is_file()}
    yield app.data_dir
    for path in app.data_dir.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
        elif path.name not in before:
            path.unlink()
    for name, content in before.items():
        target = app.data_dir / name
        if not target.exists() or target.read_bytes() != content:
            target.write_bytes(content)
