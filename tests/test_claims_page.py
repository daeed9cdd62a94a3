"""The Claims page on the bundled ledger through AppTest: badges, counts, chart, filters, links and the CSV; the
claim mentioned beside its Space; and the editors' form, role-checked and audited."""

import json
from datetime import date

import polars as pl
from streamlit.testing.v1 import AppTest

from pulse.data.load import load_dataset
from pulse.escape import markdown_text
from tests.conftest import ROOT
from tests.test_access_pages import ACCESS, AUTH, EDITOR, VIEWER
from tests.test_pages import csv_of, downloads  # noqa: F401  (a fixture)

DASHBOARD = str(ROOT / "dashboard.py")  # through the entry: its navigation is what the claims' page links resolve in
C002_REASON = (
    "446,000 total listeners measured; 'about 500,000' is 12.1 % above, beyond the 10 % of the claim that 'about' "
    "allows."
)


def claims_page(page: str = "pages/8_Claims.py") -> AppTest:
    return AppTest.from_file(DASHBOARD, default_timeout=60).switch_page(page)


def markdown(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption") for e in at.get(kind))


def counts(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_ledger_shows_every_claim_with_its_verdict_badge(downloads):  # noqa: F811
    at = claims_page().run()
    assert not at.exception
    assert counts(at) == {"Accurate": "3", "Overstated": "3", "Understated": "0", "Unverifiable": "0"}
    text = markdown(at)
    assert text.count(":green-badge[Accurate]") == 3 and text.count(":red-badge[Overstated]") == 3
    assert markdown_text(C002_REASON) in text
    ledger = csv_of(at, downloads, "claims")
    assert ledger["claim_id"].to_list() == ["c-001", "c-002", "c-003", "c-004", "c-005", "c-006"]
    assert ledger["verdict"].to_list() == ["accurate", "overstated", "accurate", "overstated", "accurate", "overstated"]
    assert {"measured_value", "measured_as_of", "claimed_to_measured", "measured_all_data", "reason"} <= set(
        ledger.columns
    )


def test_the_chart_draws_claimed_and_measured_in_party_colours_with_the_verdict_line():
    at = claims_page().run()
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    markers = [t for t in figure["data"] if t.get("mode") == "markers"]
    assert {t["name"] for t in markers} == {"PTI: claimed", "PTI: measured", "OTHER: claimed", "OTHER: measured"}
    assert {t["marker"]["color"] for t in markers if t["name"].startswith("PTI")} == {"#D62828"}
    lines = [t["line"]["color"] for t in figure["data"] if t.get("mode") == "lines"]
    # c-005 (largest) has no claimed value: no line. The others: green for accurate, red for overstated.
    assert sorted(lines) == sorted(["#21C354", "#FF4B4B", "#21C354", "#FF4B4B", "#FF4B4B"])


def test_filters_by_verdict_and_subject_type_are_kept_in_the_url(downloads):  # noqa: F811
    at = claims_page().run()
    at.multiselect(key="verdict").set_value(["overstated"]).run()
    assert counts(at) == {"Accurate": "0", "Overstated": "3", "Understated": "0", "Unverifiable": "0"}
    assert csv_of(at, downloads, "claims")["claim_id"].to_list() == ["c-002", "c-004", "c-006"]
    at.multiselect(key="verdict").set_value([]).run()
    at.multiselect(key="about").set_value(["campaign"]).run()
    assert csv_of(at, downloads, "claims")["claim_id"].to_list() == ["c-006"]


def test_each_claim_links_to_where_its_measure_lives():
    at = claims_page().run()
    specs = [str(e.proto) for e in at.get("page_link")]
    assert len(specs) == 6
    assert sum('page: "Spaces"' in s and 'query_string: "space=sp-0020"' in s for s in specs) == 4
    assert sum('page: "Spaces"' in s and 'query_string: "space=sp-0001"' in s for s in specs) == 1
    campaign = 'query_string: "lines=Campaigns&campaign=ImportedHakumatNaManzoor"'
    assert sum('page: "Hashtags"' in s and campaign in s for s in specs) == 1


def test_the_spaces_page_mentions_the_claim_about_the_space():
    at = claims_page("pages/1_Spaces.py").run()
    at.selectbox(key="space").set_value("sp-0020").run()
    assert not at.exception
    text = markdown(at)
    assert ":green-badge[Accurate]" in text  # c-005 of the four about sp-0020: the latest (ties by id)
    assert markdown_text("Imran Khan holds world’s largest Twitter space") in text
    assert "4 claims about this Space on the Claims page" in text


# ---- The form: editors only, validated like an upload, audited ------------------------------------------------------


def signed_in(user: dict) -> AppTest:
    at = claims_page()
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS
    at.user = user
    return at


def fill(at: AppTest, metric: str = "total_listeners") -> None:
    at.text_input(key="claim-id").input("c-007")
    at.text_input(key="claim-claimant").input("PML-N spokesperson")
    at.text_area(key="claim-text").input("Our Space drew ten thousand listeners")
    at.date_input(key="claim-date").set_value(date(2022, 4, 1))
    at.selectbox(key="claim-kind").set_value("space")
    at.text_input(key="claim-subject").input("sp-0002")
    at.selectbox(key="claim-metric").set_value(metric)
    at.selectbox(key="claim-comparison").set_value("about")
    at.text_input(key="claim-value").input("10,000")


def submit(at: AppTest) -> AppTest:
    (button,) = [b for b in at.button if b.label == "Add the claim"]
    return button.click().run()


def test_a_viewer_gets_no_form(store_dir):
    at = signed_in(VIEWER).run()
    assert not at.exception
    assert not [b for b in at.button if b.label == "Add the claim"]


def test_an_editor_adds_a_claim_which_is_judged_and_audited(store_dir, downloads):  # noqa: F811
    at = signed_in(EDITOR).run()
    fill(at)
    submit(at)
    assert not at.exception
    stored = load_dataset(store_dir, "claims")[0]
    assert stored["claim_id"].to_list()[-1] == "c-007" and stored.height == 7
    audit = pl.read_csv(store_dir / "audit.csv")
    assert audit.select("actor", "action", "dataset", "rows_added", "source").rows() == [
        ("desk@party.example", "merge", "claims", 1, "claim form")
    ]
    # sp-0002 had 10,700 listeners: "about 10,000" is 7 % below, within 10 % of 10,000.
    ledger = csv_of(at, downloads, "claims")
    assert ledger.filter(pl.col("claim_id") == "c-007")["verdict"].to_list() == ["accurate"]


def test_a_bad_claim_from_the_form_is_refused_by_column_and_value(store_dir):
    before = (store_dir / "claims.csv").read_bytes()
    at = signed_in(EDITOR).run()
    fill(at, metric="tweets")  # not a metric of a Space
    submit(at)
    assert any("was not added" in str(e.value) for e in at.error)
    problems = at.dataframe[-1].value
    assert problems[["line", "column", "value"]].values.tolist() == [[2, "metric", "tweets"]]
    assert (store_dir / "claims.csv").read_bytes() == before
    assert not (store_dir / "audit.csv").exists()


def test_the_overviews_latest_space_mentions_a_claim_about_it(store_dir):
    """The bundled latest Space (sp-0051) has no claim; one made about it shows on its card, with its verdict."""
    with (store_dir / "claims.csv").open("a", encoding="utf-8") as file:
        file.write("c-051,2022-06-01T00:00:00Z,PTI official account,Our biggest Space this week,,space,sp-0051,")
        file.write("total_listeners,at_least,50000,,\n")
    at = claims_page("pages/0_Overview.py").run()
    assert not at.exception
    text = markdown(at)
    assert ":green-badge[Accurate]" in text  # 53,300 listeners: at least 50,000
    assert "1 claim about this Space on the Claims page" in text
