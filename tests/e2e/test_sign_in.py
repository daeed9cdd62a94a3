"""Sign-in for real: Chromium signs in through Streamlit's OpenID Connect flow (st.login) against a local provider
(oidc-provider-mock, on 127.0.0.1, users with the claims under test) to a dashboard whose secrets have `[auth]` and
`[access]`. One server per `[access]` configuration, several users each.

Covered: a viewer, an editor and an admin; a signed-in user with no role; an email whose domain no rule names; a
role from `roles_claim` only; `anonymous = "none"` and `"viewer"`; sign-out; the editor's merge on the admin's Audit
page; a tampered and a foreign identity cookie, each treated as not signed in.
"""

import json
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .conftest import ARTIFACTS, VIEWPORT, _free_port, bundled_copy, streamlit_server
from .streamlit_dom import grid_records, nav_link, open_page, prepare_context, rerun_after, screenshot

COOKIE_SECRET = "e2e-cookie-secret-not-a-secret-at-all"
USERS = {
    "lead": {"email": "lead@party.example", "email_verified": True, "name": "Campaign Lead"},
    "desk": {"email": "desk@party.example", "email_verified": True, "name": "Data Desk"},
    "intern": {"email": "intern@party.example", "email_verified": True, "name": "Intern <i>x</i>"},
    "gone": {"email": "gone@party.example", "email_verified": True, "name": "Former Staff"},
    "stranger": {"email": "stranger@other.example", "email_verified": True, "name": "Stranger"},
    "consultant": {"email": "consultant@agency.example", "email_verified": True, "roles": ["editor"]},
}
ACCESS = """
[access]
anonymous = "{anonymous}"
default_role = "none"
roles_claim = "roles"

[access.users]
"lead@party.example" = "admin"
"desk@party.example" = "editor"
"gone@party.example" = "none"
"@party.example" = "viewer"
"""
NEW_SPACE = "sp-e2e-auth,PTI,PTI Official,Signed-in merge,2022-04-15T15:00:00Z,2022-04-15T16:00:00Z,4321,,,"
PAGES = ["Overview", "Spaces", "Hashtags", "Rallies", "Compare", "Claims", "Data", "Alerts", "Display"]


@pytest.fixture(scope="module")
def provider():
    """oidc-provider-mock on 127.0.0.1, with the users above and their claims."""
    import werkzeug.serving
    from oidc_provider_mock import User, app

    users = [User(sub=sub, claims=claims) for sub, claims in USERS.items()]
    server = werkzeug.serving.make_server("127.0.0.1", 0, app(user_claims=users), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@contextmanager
def dashboard(provider: str, work: Path, anonymous: str):
    """The dashboard with sign-in on, on a copy of the bundled data; yields (url, data directory)."""
    data = bundled_copy(work)
    port = _free_port()
    secrets = work / "secrets.toml"
    secrets.write_text(
        f"""editor_key = "a key that must not be accepted"

[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "{COOKIE_SECRET}"
client_id = "campaign-pulse"
client_secret = "not-a-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"
"""
        + ACCESS.format(anonymous=anonymous),
        encoding="utf-8",
    )
    log = ARTIFACTS / f"streamlit-auth-{anonymous}.log"
    with streamlit_server(data, log, secrets, {"PULSE_EDITOR_KEY": None}, port) as url:
        yield url, data


@pytest.fixture(scope="module")
def closed(provider, tmp_path_factory):
    """`anonymous = "none"`: visitors who are not signed in see the sign-in page only."""
    with dashboard(provider, tmp_path_factory.mktemp("auth-closed"), "none") as served:
        yield served


@pytest.fixture(scope="module")
def public(provider, tmp_path_factory):
    """`anonymous = "viewer"`: a public dashboard, with sign-in for the team."""
    with dashboard(provider, tmp_path_factory.mktemp("auth-public"), "viewer") as served:
        yield served


@pytest.fixture
def person(browser, request):
    """A fresh browser context and tab (own cookies); photographed at the end."""
    made = []

    def make():
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
        prepare_context(context)
        made.append(context)
        return context.new_page()

    yield make
    for number, context in enumerate(made, start=1):
        for page in context.pages:
            try:
                screenshot(page, ARTIFACTS / request.node.name / f"end-{number}.png")
            except Exception as error:  # a crashed page must not hide the test's own failure
                print(f"could not photograph: {error}")
        context.close()


def sign_in(page, url: str, sub: str, button: str = "Sign in") -> None:
    """Open the dashboard, press its sign-in button, pick `sub` at the provider, and wait for the app again."""
    open_page(page, url)
    page.get_by_role("button", name=button).first.click()
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's page: one button per user
    page.wait_for_url(f"{url}/**")
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    open_page(page, url)


def nav_titles(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def shown_text(locator) -> str:
    """What a reader sees: emails carry an invisible word joiner after '@' (pulse.escape), dropped here."""
    return locator.inner_text().replace("\u2060", "")


def sidebar_text(page) -> str:
    return shown_text(page.locator('[data-testid="stSidebar"]'))


def expect_sign_in_page_only(page) -> None:
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert (
        page.locator('[data-testid="stMetric"], [data-testid="stPlotlyChart"], [data-testid="stDataFrame"]').count()
        == 0
    )
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0


def test_not_signed_in_sees_the_sign_in_page_only_at_every_address(closed, person):
    url, _ = closed
    page = person()
    for path in ("", "Spaces", "Data", "Audit"):
        open_page(page, f"{url}/{path}")
        expect_sign_in_page_only(page)


def test_a_viewer_reads_and_has_no_write_control(closed, person):
    url, _ = closed
    page = person()
    sign_in(page, url, "intern")
    assert nav_titles(page) == PAGES  # no Audit
    sidebar = sidebar_text(page)
    assert "Intern <i>x</i> · viewer" in sidebar  # escaped: the tag is shown as text
    assert page.locator('[data-testid="stMetric"]').count() > 0
    open_page(page, f"{url}/Data")
    expect(page.get_by_text("Stored datasets")).to_be_visible()
    expect(page.get_by_role("button", name="Export all datasets (zip)")).to_be_visible()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    assert page.get_by_role("button", name="Replace").count() == 0
    assert page.locator('input[type="password"]').count() == 0
    open_page(page, f"{url}/Audit")  # not the viewer's page: Streamlit falls back to the overview
    expect(page.get_by_role("heading", name="Audit")).to_have_count(0)
    expect(page.locator("h1").first).to_have_text("Campaign Pulse")


def test_the_editors_merge_is_on_the_admins_audit_page(closed, person):
    url, data = closed
    page = person()
    sign_in(page, url, "desk")
    assert nav_titles(page) == PAGES
    assert "Data Desk · editor" in sidebar_text(page)
    open_page(page, f"{url}/Data")
    assert page.locator('input[type="password"]').count() == 0  # no editor key is asked
    content = (data / "spaces.csv").read_text(encoding="utf-8").rstrip("\n") + "\n" + NEW_SPACE + "\n"
    chooser = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    file = {"name": "spaces.csv", "mimeType": "text/csv", "buffer": content.encode()}
    rerun_after(page, lambda: chooser.set_input_files(files=[file]))
    page.get_by_role("button", name="Merge").click()
    page.get_by_text("Merged into spaces: 1 added, 0 updated").first.wait_for()

    admin = person()
    sign_in(admin, url, "lead")
    assert nav_titles(admin) == [*PAGES, "Audit"]
    assert "Campaign Lead · admin" in sidebar_text(admin)
    rerun_after(admin, lambda: nav_link(admin, f"{url}/Audit").click())
    rows = grid_records(admin.locator('[data-testid="stDataFrame"]').first, rows=1)
    assert {k: rows[0][k] for k in ("actor", "role", "action", "dataset", "rows_added", "rows_updated", "source")} == {
        "actor": "desk@party.example",
        "role": "editor",
        "action": "merge",
        "dataset": "spaces",
        "rows_added": "1",
        "rows_updated": "0",
        "source": "spaces.csv",
    }


@pytest.mark.parametrize("sub", ["gone", "stranger"])
def test_a_user_without_a_role_is_told_whom_to_ask(closed, person, sub):
    url, _ = closed
    page = person()
    sign_in(page, url, sub)
    main = shown_text(page.locator('[data-testid="stMain"]'))
    assert f"You are signed in as {USERS[sub]['email']}, without access to this dashboard." in main
    assert "Ask lead@party.example to give you a role, then sign in again." in main
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0
    assert page.locator('[data-testid="stMetric"], [data-testid="stDataFrame"]').count() == 0
    open_page(page, f"{url}/Data")
    assert page.locator('[data-testid="stDataFrame"], [data-testid="stFileUploader"]').count() == 0


def test_a_role_from_the_id_token_only(closed, person):
    url, _ = closed
    page = person()
    sign_in(page, url, "consultant")
    assert "consultant@agency.example · editor" in sidebar_text(page)
    open_page(page, f"{url}/Data")
    assert page.locator('[data-testid="stFileUploader"]').count() == 1


def test_sign_out(closed, person):
    url, _ = closed
    page = person()
    sign_in(page, url, "intern")
    page.get_by_role("button", name="Sign out").click()
    # Streamlit clears its cookie and sends the browser on to the provider's end-session page (OIDC logout).
    page.wait_for_url("**/oauth2/end_session**")
    open_page(page, url)
    expect_sign_in_page_only(page)
    open_page(page, f"{url}/Data")
    expect_sign_in_page_only(page)


def test_a_tampered_or_foreign_identity_cookie_is_not_signed_in(closed, person):
    url, _ = closed
    page = person()
    sign_in(page, url, "intern")
    cookies = [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]
    assert cookies, page.context.cookies()
    forged = person()
    # Tampered: the genuine cookie with one character of its payload changed.
    for cookie in cookies:
        value = cookie["value"]
        middle = len(value) // 3
        tampered = value[:middle] + ("A" if value[middle] != "A" else "B") + value[middle + 1 :]
        forged.context.add_cookies([{**cookie, "value": tampered}])
    open_page(forged, url)
    expect_sign_in_page_only(forged)

    # Foreign: an admin's identity, signed with a secret that is not this server's.
    from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

    claims = json.dumps({**USERS["lead"], "origin": url, "is_logged_in": True, "provider": "default"})
    for secret, signed_in in (("not this server's secret", False), (COOKIE_SECRET, True)):
        other = person()
        value = create_signed_value(secret, "_streamlit_user", claims).decode()
        other.context.add_cookies([{**cookies[0], "name": "_streamlit_user", "value": value}])
        open_page(other, url)
        if signed_in:  # the control: the same identity signed with the server's own secret is let in
            assert "Campaign Lead · admin" in sidebar_text(other)
        else:
            expect_sign_in_page_only(other)


def test_anonymous_viewer_reads_without_signing_in_and_can_sign_in(public, person):
    url, _ = public
    page = person()
    open_page(page, url)
    assert nav_titles(page) == PAGES
    assert "Not signed in · viewer" in sidebar_text(page)
    assert page.locator('[data-testid="stMetric"]').count() > 0
    open_page(page, f"{url}/Data")
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    sign_in(page, url, "desk")
    assert "Data Desk · editor" in sidebar_text(page)
