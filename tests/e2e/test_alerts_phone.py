"""Scenario: a staff member checks the alerts on a phone. The newest alerts come first, as cards that show the
whole message and name the kind in words; the numbers follow. On a wide screen the table stays."""

from datetime import UTC, datetime, timedelta

from pulse.data.store import Store
from pulse.watch import alerts
from tests.test_alerts_page import alert

from .test_phone import PHONE

LONG = (
    'PTI\'s Space "Jalsa tonight" by ImranKhanPTI has 482,000 listeners now, above the all-time record of 446,000 '
    "set on 21 April 2022"
)
CARDS = '[data-testid="stMain"] .st-key-alert-cards'
TABLE = '[data-testid="stMain"] .st-key-alert-table [data-testid="stDataFrame"]'


def test_on_a_phone_the_newest_alerts_come_first_as_cards_then_the_numbers(visitor, restore_data):
    now = datetime.now(UTC).replace(microsecond=0)
    raised = [
        alert("space_record/all/sp1", "space_record", "PTI", now - timedelta(minutes=5), LONG, False),
        alert("spike/pmln/PML-N", "spike", "PML-N", now - timedelta(hours=2), "#PMLN spiked: 420 tweets", True),
    ]
    alerts.add_alerts(Store(restore_data), alerts.as_frame(raised))

    person = visitor(PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    person.open("Alerts")
    page = person.page
    first = page.locator(CARDS).get_by_text(LONG)
    first.wait_for(state="visible", timeout=10_000)
    card = first.bounding_box()
    numbers = page.locator('[data-testid="stMain"] [data-testid="stMetric"]').first.bounding_box()
    assert card["y"] + card["height"] <= numbers["y"]  # the newest alert, whole, above the numbers
    assert card["y"] < 844  # on the first screen
    assert card["x"] + card["width"] <= PHONE["width"]
    cards = page.locator(CARDS).inner_text()
    assert cards.index("Space record") < cards.index("Spike")  # newest first, kinds in words
    assert "space_record" not in cards
    page.locator(TABLE).wait_for(state="hidden", timeout=10_000)  # its message column was cut off on a phone...
    page.get_by_role("button", name="Download CSV").wait_for(state="visible", timeout=10_000)  # ...its CSV stays
    person.shot("phone-alerts")
    print(f"first alert card at {card['y']:.0f} px on a {PHONE['width']} px phone")

    wide = visitor()
    wide.open("Alerts")
    wide.page.locator(TABLE).wait_for(state="visible", timeout=10_000)
    wide.page.locator(CARDS).get_by_text(LONG).wait_for(state="hidden", timeout=10_000)
    wide.shot("wide-alerts")
    assert person.console_errors == [] and wide.console_errors == []
