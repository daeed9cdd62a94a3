"""`watch` raises a `claim` alert when a claim's verdict over all the data is no longer its verdict as of the claim,
stored (and so delivered) exactly once."""

from pulse.data.load import load_data_dir
from pulse.data.store import Store
from pulse.metrics.claims import claim_verdicts
from pulse.watch import alerts, rules
from tests.conftest import BUNDLED, utc


def test_a_claim_that_came_true_since_raises_one_alert(tmp_path):
    """c-006, "over 7 million": overstated as of the report, accurate over all the data (7,349,999). The other five
    claims have the same verdict either way."""
    ledger = claim_verdicts(load_data_dir(BUNDLED, "Asia/Karachi"))
    raised = rules.claim_alerts(ledger, utc(2026, 12, 7, 21))
    assert raised.select("alert_id", "kind", "party", "subject", "value", "baseline").rows() == [
        ("claim/c-006/accurate", "claim", "PTI", "c-006", 7_349_999.0, 7_000_000.0)
    ]
    assert raised["message"][0] == (
        "Claim c-006 by thepakistan.pk (press report) (more_than 7,000,000 of ImportedHakumatNaManzoor) is accurate "
        "over all the data: 7,349,999 measured, overstated as of the claim"
    )
    store = Store(tmp_path)
    assert alerts.add_alerts(store, raised) == 1
    assert alerts.add_alerts(store, rules.claim_alerts(ledger, utc(2026, 12, 7, 22))) == 0  # a later check: no twin
    assert alerts.load_alerts(store)["alert_id"].to_list() == ["claim/c-006/accurate"]
