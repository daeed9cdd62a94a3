"""Scenario 5: two staff members at once, each with their own filters, never see each other's."""

from urllib.parse import parse_qs, urlsplit

from .streamlit_dom import party_ranking, rerun_after, selected, sidebar_multiselect


def remove(person, party: str) -> None:
    parties = sidebar_multiselect(person.page, "Parties")
    rerun_after(person.page, lambda: parties.get_by_role("button", name=f"Remove {party}").click())


def shows(person) -> tuple[list[str], set[str]]:
    """The parties in the sidebar filter and the parties in the overview's ranking."""
    return selected(sidebar_multiselect(person.page, "Parties")), set(party_ranking(person.page))


def test_two_people_with_different_filters_do_not_see_each_others(visitor):
    analyst, organiser = visitor(), visitor()
    analyst.open()
    organiser.open()
    everyone = selected(sidebar_multiselect(analyst.page, "Parties"))
    assert {"PTI", "PML-N"} <= set(everyone)

    remove(analyst, "PTI")
    remove(organiser, "PML-N")
    remove(organiser, "PPP")

    # Each one reruns their page once more (the log-scale toggle): state leaking through the server would show now.
    for person in (analyst, organiser):
        toggle = person.page.get_by_text("Logarithmic scale", exact=True)
        rerun_after(person.page, toggle.click)
    analyst.shot("analyst-without-PTI")
    organiser.shot("organiser-without-PML-N-and-PPP")

    analyst_filter, analyst_cards = shows(analyst)
    organiser_filter, organiser_cards = shows(organiser)
    assert analyst_filter == [p for p in everyone if p != "PTI"]
    assert organiser_filter == [p for p in everyone if p not in ("PML-N", "PPP")]
    assert "PTI" not in analyst_cards and {"PML-N", "PPP"} <= analyst_cards
    assert "PTI" in organiser_cards and not {"PML-N", "PPP"} & organiser_cards
    assert parse_qs(urlsplit(analyst.page.url).query)["party"] == analyst_filter
    assert parse_qs(urlsplit(organiser.page.url).query)["party"] == organiser_filter

    # A third person opening the plain address gets the defaults, not whatever was chosen last.
    newcomer = visitor()
    newcomer.open()
    assert shows(newcomer)[0] == everyone
