"""Scenario 4: on the Data page a bad file is reported row by row; a good one, saved with the editor key, changes
the overview's numbers, and undo brings them back."""

import pytest
from playwright.sync_api import expect

from .streamlit_dom import app_pages, grid, nav_link, party_summary, rerun_after, wait_until_idle

NEW_REACH = 12345
NEW_SPACE = (
    "sp-e2e-0001,PML-N,PML-N Youth Wing,Added by the browser test,"
    f"2022-04-15T15:00:00Z,2022-04-15T16:00:00Z,{NEW_REACH},,,"
)


def data_page():
    pages = [p for p in app_pages() if p.url_path == "Data"]
    if not pages:
        pytest.skip("Data page not built yet (no pages/*_Data.py)")
    return pages[0]


def upload(page, name: str, content: bytes) -> None:
    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    file = {"name": name, "mimeType": "text/csv", "buffer": content}
    rerun_after(page, lambda: chooser.set_input_files(files=[file]))


def type_key(page, widget_key: str, text: str) -> None:
    """Fill a text input and commit it with Enter (its own rerun). Left to the blur of a following button click,
    the commit and the click are two reruns, and the page is briefly idle in between."""
    box = page.locator(f".st-key-{widget_key} input")
    box.fill(text)
    rerun_after(page, lambda: box.press("Enter"))


def click_then_wait_for(page, button: str, message: str) -> None:
    """Click a button whose handler saves and calls st.rerun(): wait for its message, then for the last run."""
    page.get_by_role("button", name=button).click()
    page.get_by_text(message).first.wait_for()
    wait_until_idle(page)


def go(page, app, url_path: str) -> None:
    rerun_after(page, lambda: nav_link(page, app.at(url_path)).click())


def test_bad_file_is_reported_good_file_saved_and_undone(visitor, app, restore_data):
    target = data_page()
    stored = (restore_data / "spaces.csv").read_text(encoding="utf-8").rstrip("\n").split("\n")
    header, rows = stored[0], stored[1:]
    columns = header.split(",")
    assert columns[6] == "total_listeners", header

    # A bad file: the 5th data row (line 6 of the file) has words where a listener count must be.
    bad_row = rows[4].split(",")
    bad_row[6] = "lots"
    bad = "\n".join([header, *rows[:4], ",".join(bad_row), *rows[5:]]) + "\n"
    good = "\n".join([header, *rows, NEW_SPACE]) + "\n"

    person = visitor()
    page = person.page
    person.open()
    before = party_summary(page)
    go(page, app, target.url_path)

    upload(page, "spaces-bad.csv", bad.encode())
    person.shot("1-bad-file-report")
    alert = page.locator('[data-testid="stAlertContentError"]').first
    assert "spaces-bad.csv" in alert.inner_text() and "problem" in alert.inner_text()
    tables = page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]')
    report = grid(tables.filter(has=page.locator("th", has_text="problem")))
    problems = [dict(zip(report["headers"], row, strict=True)) for row in report["rows"]]
    assert {"line": "6", "column": "total_listeners", "value": "lots"}.items() <= problems[0].items(), problems
    assert page.get_by_role("button", name="Replace").count() == 0, "a bad file must not be saveable"

    upload(page, "spaces-good.csv", good.encode())
    expect(page.get_by_text(f"{len(rows) + 1:,} rows of spaces, all valid")).to_be_visible()
    type_key(page, "data-editor-key", "not-the-key")
    rerun_after(page, lambda: page.get_by_role("button", name="Replace").click())
    expect(page.get_by_text("That editor key is not right; nothing was saved.")).to_be_visible()
    assert (restore_data / "spaces.csv").read_text(encoding="utf-8").rstrip("\n").split("\n") == stored

    type_key(page, "data-editor-key", app.editor_key)
    click_then_wait_for(page, "Replace", f"Replaced spaces with {len(rows) + 1:,} rows")
    person.shot("2-saved")

    go(page, app, "")
    after_save = party_summary(page, rows=len(before))
    person.shot("3-overview-after-save")
    pml = before["PML-N"]
    assert int(after_save["PML-N"]["Spaces"]) == int(pml["Spaces"]) + 1
    assert int(after_save["PML-N"]["Spaces reach"]) == int(pml["Spaces reach"]) + NEW_REACH
    assert int(after_save["PML-N"]["Best Space"]) == max(int(pml["Best Space"]), NEW_REACH)
    assert {p: r for p, r in after_save.items() if p != "PML-N"} == {p: r for p, r in before.items() if p != "PML-N"}

    go(page, app, target.url_path)
    expect(page.get_by_text("1 earlier version of spaces.")).to_be_visible()
    type_key(page, "data-undo-key", app.editor_key)
    click_then_wait_for(page, "Undo the last save of spaces", "Restored the version of spaces")
    person.shot("4-undone")

    go(page, app, "")
    assert party_summary(page, rows=len(before)) == before
    person.shot("5-overview-after-undo")


def test_a_session_only_upload_is_announced_on_every_page_with_a_way_back(visitor, app):
    target = data_page()
    person = visitor()
    page = person.page
    person.open(target.url_path)
    stored = (app.data_dir / "spaces.csv").read_text(encoding="utf-8").rstrip("\n")
    upload(page, "spaces.csv", (stored + "\n" + NEW_SPACE + "\n").encode())
    rerun_after(page, lambda: page.get_by_role("button", name="View in my session only").click())
    banner = page.locator(".st-key-upload-banner")
    for url_path in ("Spaces", ""):  # another page, then the overview
        go(page, app, url_path)
        expect(banner).to_contain_text("your own upload (spaces), in this session only")
    person.shot("banner-on-the-overview")
    rerun_after(page, lambda: banner.get_by_role("button", name="Back to the stored data").click())
    expect(banner).to_have_count(0)
    go(page, app, "Spaces")
    assert page.locator('[data-testid="stMetric"]').first.locator('[data-testid="stMetricValue"]').inner_text() == (
        f"{len(stored.splitlines()) - 1:,}"  # the stored Spaces again, without the uploaded one
    )
