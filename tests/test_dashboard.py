"""The overview page on the bundled data, through Streamlit's AppTest."""

import json

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def run_overview(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def test_overview_runs_on_bundled_data_with_cards_chart_and_table():
    at = run_overview()
    assert not at.exception
    assert [m.label for m in at.metric] == ["JUI-F", "MQM-P", "PML-N", "PPP", "PTI"]
    pti = at.metric[4]
    assert pti.value.replace(",", "").isdigit() and int(pti.value.replace(",", "")) > 100_000
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    annotations = [a["text"] for a in figure["layout"]["annotations"]]
    assert any("446,000 listeners" in text for text in annotations)
    table = at.dataframe[0].value
    assert set(table["party"]) >= {"PTI", "PML-N", "PPP", "JUI-F", "MQM-P"}
