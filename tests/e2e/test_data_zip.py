"""Issue 25, item 9: the Data page's "Export all datasets (zip)", downloaded by a viewer in a real browser, carries
author pseudonyms, never the raw ids."""

import csv
import io
import re
import zipfile

from .test_data_page import data_page


def test_a_viewer_downloads_the_zip_without_a_single_raw_author_id(visitor, app, tmp_path):
    data_page()
    person = visitor()
    page = person.page
    person.open("Data")
    button = page.get_by_role("button", name="Export all datasets (zip)")
    button.scroll_into_view_if_needed()
    with page.expect_download() as info:
        button.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("raw_tweets.csv").decode("utf-8-sig"))))
    stored = list(csv.DictReader(io.StringIO((app.data_dir / "raw_tweets.csv").read_text(encoding="utf-8"))))
    assert len(rows) == len(stored) == 6137
    raw_ids = {row["author_id"] for row in stored}
    assert not [row for row in rows if row["author_id"] in raw_ids]
    assert all(re.fullmatch(r"a-[0-9a-f]{12}", row["author_id"]) for row in rows)
    assert [row["tweet_id"] for row in rows] == [row["tweet_id"] for row in stored]  # the rest as stored
    assert not person.console_errors
