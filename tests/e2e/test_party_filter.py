"""Scenario 2: the party filter changes the overview, follows the user across pages, and lives in the URL."""

from urllib.parse import parse_qs, urlsplit

import pytest

from .streamlit_dom import app_pages, nav_link, party_ranking, party_summary, rerun_after, selected, sidebar_multiselect


def url_parties(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query).get("party", [])


def other_page():
    """Another page to walk to: one that shows the shared filters if there is one (so they can be checked there)."""
    others = app_pages()[1:]
    if not others:
        pytest.skip("the app has a single page: nowhere to navigate to")
    with_filters = [p for p in others if "sidebar_filters(" in p.file.read_text(encoding="utf-8")]
    return (with_filters or others)[0], bool(with_filters)


def test_party_filter_changes_kpis_survives_navigation_and_is_shareable(visitor, app):
    person = visitor()
    page = person.page
    person.open()
    parties = sidebar_multiselect(page, "Parties")
    everyone = selected(parties)
    ranked_before, summary_before = party_ranking(page), party_summary(page)
    assert "PTI" in everyone and "PTI" in ranked_before, (everyone, ranked_before)
    assert url_parties(page.url) == []  # all parties is the default: nothing in the URL yet

    rerun_after(page, lambda: parties.get_by_role("button", name="Remove PTI").click())
    without_pti = [p for p in everyone if p != "PTI"]
    ranked, summary_after = (
        party_ranking(page, rows=len(ranked_before) - 1),
        party_summary(page, rows=len(summary_before) - 1),
    )
    person.shot("1-overview-without-PTI")
    assert selected(parties) == without_pti
    assert "PTI" not in ranked and set(ranked) == set(ranked_before) - {"PTI"}
    assert {p: ranked_before[p] for p in ranked} == ranked  # each row is the party's own total
    # Share of voice is against all parties (docs/metrics.md), so the rows left keep their values.
    assert summary_after == {p: row for p, row in summary_before.items() if p != "PTI"}
    assert url_parties(page.url) == without_pti

    target, has_filters = other_page()
    rerun_after(page, lambda: nav_link(page, app.at(target.url_path)).click())
    assert urlsplit(page.url).path == f"/{target.url_path}"
    person.shot(f"2-{target.url_path}-page")
    if has_filters:
        assert selected(sidebar_multiselect(page, "Parties")) == without_pti
        assert url_parties(page.url) == without_pti

    rerun_after(page, lambda: nav_link(page, app.at("")).click())
    assert urlsplit(page.url).path == "/"
    person.shot("3-back-on-overview")
    assert selected(sidebar_multiselect(page, "Parties")) == without_pti
    assert party_ranking(page, rows=len(ranked)) == ranked
    shared_link = page.url
    assert url_parties(shared_link) == without_pti

    colleague = visitor()  # a new browser context: nothing but the link in common
    colleague.open(shared_link)
    colleague.shot("4-link-opened-by-a-colleague")
    assert selected(sidebar_multiselect(colleague.page, "Parties")) == without_pti
    assert party_ranking(colleague.page, rows=len(ranked)) == ranked
