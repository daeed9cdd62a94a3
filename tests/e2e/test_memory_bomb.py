"""Issue 12, item 1: a viewer with no key uploads a 30-million-row Parquet file; the server refuses it from the
file's footer, stays small and keeps serving every page."""

from urllib.parse import urlsplit

import psutil
from playwright.sync_api import expect

from tests.conftest import BOMB_ROWS

from .streamlit_dom import nav_link, rerun_after
from .test_data_page import data_page, go


def server_rss(url: str) -> int:
    """Resident memory of the process serving `url`."""
    port = urlsplit(url).port
    (pid,) = {c.pid for c in psutil.net_connections("tcp") if c.laddr.port == port and c.status == "LISTEN"}
    return psutil.Process(pid).memory_info().rss


def test_a_parquet_bomb_is_refused_and_the_server_stays_up(visitor, app, spaces_bomb):
    target = data_page()
    person = visitor()
    page = person.page
    person.open(target.url_path)
    before = server_rss(app.url)

    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    bomb = {"name": "bomb.parquet", "mimeType": "application/octet-stream", "buffer": spaces_bomb}
    rerun_after(page, lambda: chooser.set_input_files(files=[bomb]))
    expect(page.get_by_text("bomb.parquet was not loaded.")).to_be_visible()
    reason = page.locator('[data-testid="stMain"] [data-testid="stText"]').filter(has_text="too large")
    assert reason.inner_text() == (
        f"too large: {BOMB_ROWS:,} rows, above the limit of 1,000,000 rows one file may have; "
        "split the file, or raise PULSE_MAX_ROWS if the server has the memory"
    )
    person.shot("1-bomb-refused")
    assert page.get_by_role("button", name="View in my session only").count() == 0
    # 30M rows of five columns would be gigabytes; the refusal reads a footer of a few hundred bytes.
    assert server_rss(app.url) - before < 300 * 1024 * 1024

    go(page, app, "Spaces")
    expect(page.locator('[data-testid="stPlotlyChart"] .main-svg').first).to_be_visible()
    person.shot("2-next-page-served")
    assert nav_link(page, app.at("")).count() == 1
    assert not person.console_errors, person.console_errors
