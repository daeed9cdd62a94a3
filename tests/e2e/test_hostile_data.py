"""Scenario: an attacker's text in the data (a party code, its name, a host, a city) and in a link is shown as
text in a real browser: no request leaves for the attacker's host, and no link or image of theirs appears."""

from urllib.parse import urlencode, urlsplit

import polars as pl

from .streamlit_dom import party_ranking

ATTACKER = "attacker.invalid"
PARTY = f"![p](http://{ATTACKER}/x)<a href='http://{ATTACKER}/a'>x</a>"
NAME = f"[Your session expired - sign in again](http://{ATTACKER}/login) <img src=http://{ATTACKER}/n>"
HOST = f"http://{ATTACKER}/host www.{ATTACKER} me@{ATTACKER} :streamlit:"
CITY = f"<img src=http://{ATTACKER}/city> Lahore"
PHISHING = f"[Your session expired - sign in again](http://{ATTACKER}/login)"

# Every address the page points at: links, images, media, SVG links (plotly writes xlink:href).
_ADDRESSES = """() => [...document.querySelectorAll('*')].flatMap(e =>
    ['href', 'src', 'xlink:href', 'srcset', 'poster'].map(a => e.getAttribute(a)).filter(Boolean))"""


def make_hostile(data_dir) -> None:
    parties = pl.read_csv(data_dir / "parties.csv", infer_schema=False)
    parties.with_columns(
        pl.when(pl.col("party") == "PML-N").then(pl.lit(NAME)).otherwise("name").alias("name"),
        pl.col("party").replace("PML-N", PARTY),
    ).write_csv(data_dir / "parties.csv")
    for dataset, column, new in (("spaces", "host", HOST), ("rallies", "city", CITY), ("hashtags", None, None)):
        frame = pl.read_csv(data_dir / f"{dataset}.csv", infer_schema=False)
        is_pmln = pl.col("party") == "PML-N"
        if column is not None:
            frame = frame.with_columns(pl.when(is_pmln).then(pl.lit(new)).otherwise(column).alias(column))
        frame.with_columns(pl.col("party").replace("PML-N", PARTY)).write_csv(data_dir / f"{dataset}.csv")


def assert_nothing_of_the_attackers(page, requested: list[str]) -> None:
    addresses = page.evaluate(_ADDRESSES)
    assert not [a for a in addresses if ATTACKER in urlsplit(a).netloc], addresses
    assert not [url for url in requested if ATTACKER in urlsplit(url).netloc], requested


def test_hostile_data_and_links_stay_text(visitor, app, restore_data):
    make_hostile(restore_data)
    person = visitor()
    requested: list[str] = []
    person.context.on("request", lambda request: requested.append(request.url))

    person.open()
    person.shot("overview")
    shown = party_ranking(person.page)
    assert PARTY in shown, shown  # ranked, its cell exactly the code, as text
    legend = person.page.locator(".js-plotly-plot .legendtext").all_text_contents()
    assert PARTY in legend, legend
    assert_nothing_of_the_attackers(person.page, requested)

    for path in ("Spaces", "Rallies", "Compare?" + urlencode({"versus": ["PTI", PARTY]}, doseq=True)):
        person.open(path)
        person.shot(path.split("?")[0].lower())
        assert_nothing_of_the_attackers(person.page, requested)
    assert NAME in person.page.locator('[data-testid="stMain"]').inner_text().replace("\u2060", "")

    person.open("?" + urlencode({"party": ["PTI", PHISHING]}, doseq=True))
    person.shot("phishing-link")
    warning = person.page.locator('[data-testid="stSidebar"] [data-testid="stAlertContentWarning"]')
    assert PHISHING in warning.inner_text().replace("\u2060", "")
    assert_nothing_of_the_attackers(person.page, requested)
    assert not person.console_errors, person.console_errors


def test_tables_offer_no_download_of_their_own(visitor):
    """Streamlit's table toolbar would write =HYPERLINK(...) cells as they are: only our CSV (which neutralises
    them) may leave the app."""
    person = visitor()
    person.open()
    table = person.page.locator('[data-testid="stMain"] [data-testid="stDataFrame"]').first
    table.hover()
    toolbar = person.page.locator('[data-testid="stElementToolbar"]').first
    toolbar.get_by_role("button", name="Search").wait_for()
    person.shot("table-toolbar")
    assert toolbar.get_by_role("button", name="Download as CSV").count() == 0, toolbar.inner_html()
    assert person.page.get_by_role("button", name="Download CSV").count() >= 1  # ours is there
