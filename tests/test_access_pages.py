"""Sign-in and roles in the app through AppTest, which cannot sign in: `st.user` is given the claims under test
(at.user) and the secrets `[auth]` and `[access]` (at.secrets). Every write path is also called directly with a
viewer's identity, and nothing changes. The real sign-in flow is tests/e2e/test_sign_in.py."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pulse.data.load import load_dataset
from pulse.escape import markdown_text
from tests.conftest import ROOT

DASHBOARD = str(ROOT / "dashboard.py")
KEY = "correct horse battery staple"
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a test secret that is long enough",
    "client_id": "pulse",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ACCESS = {
    "anonymous": "none",
    "default_role": "none",
    "roles_claim": "roles",
    "users": {
        "lead@party.example": "admin",
        "desk@party.example": "editor",
        "@party.example": "viewer",
    },
}
VIEWER = {"is_logged_in": True, "email": "intern@party.example", "name": "Intern <b>*bold*</b>"}
EDITOR = {"is_logged_in": True, "email": "desk@party.example", "name": "Data Desk"}
ADMIN = {"is_logged_in": True, "email": "lead@party.example", "name": "Campaign Lead"}
NEW_SPACE = "sp-9999,PPP,Bilawal Bhutto,Test,2022-05-30T15:00:00Z,2022-05-30T16:00:00Z,500000,,,\n"


def app(user: dict, access: dict | None = None, page: str = DASHBOARD) -> AppTest:
    at = AppTest.from_file(page, default_timeout=60)
    at.secrets["auth"] = AUTH
    at.secrets["access"] = access or ACCESS
    at.secrets["editor_key"] = KEY  # configured, and never accepted while sign-in is on
    at.user = user
    return at


def texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "warning", "error", "info", "caption") for e in at.get(kind))


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_visitor_who_is_not_signed_in_sees_only_the_sign_in_button(store_dir):
    at = app({"is_logged_in": False}).run()
    assert not at.exception
    assert at.button(key="sign-in-default").label == "Sign in"
    assert (len(at.metric), len(at.dataframe), len(at.get("plotly_chart"))) == (0, 0, 0)
    with pytest.raises(ValueError):  # no page but the sign-in page is registered
        at.switch_page("pages/1_Spaces.py")


def test_anonymous_viewer_reads_the_dashboard_without_signing_in(store_dir):
    at = app({"is_logged_in": False}, ACCESS | {"anonymous": "viewer"}).run()
    assert not at.exception
    assert at.metric and "Not signed in · viewer" in texts(at)
    at.switch_page("pages/5_Data.py").run()
    assert at.dataframe  # the store overview is a read
    with pytest.raises(KeyError):
        at.file_uploader(key="upload-spaces")


def test_a_signed_in_user_without_a_role_is_told_whom_to_ask(store_dir):
    at = app({"is_logged_in": True, "email": "stranger@other.example", "name": "Stranger"}).run()
    assert not at.exception
    # Escaped like any other data: an email gets an invisible joiner after its '@' (no autolink).
    stranger, lead = markdown_text("stranger@other.example"), markdown_text("lead@party.example")
    assert f"You are signed in as **{stranger}**, without access" in at.warning[0].value
    assert f"Ask {lead} to give you a role" in texts(at)
    assert at.button(key="sign-out").label == "Sign out"
    assert (len(at.metric), len(at.dataframe)) == (0, 0)
    with pytest.raises(ValueError):
        at.switch_page("pages/1_Spaces.py")


def test_an_unverified_email_is_unknown(store_dir):
    at = app(ADMIN | {"email_verified": False}).run()
    assert "without access" in at.warning[0].value and not at.metric


def test_a_role_from_the_id_token_alone(store_dir):
    at = app({"is_logged_in": True, "email": "consultant@agency.example", "roles": ["editor"]}).run()
    assert at.metric
    at.switch_page("pages/5_Data.py").run()
    assert at.file_uploader(key="upload-spaces")


def test_a_viewer_reads_every_page_but_changes_nothing(store_dir):
    at = app(VIEWER).run()
    assert not at.exception and at.metric
    # The name is escaped like any other data: no bold, no tag.
    assert f"**{markdown_text(VIEWER['name'])}** · viewer" in texts(at)
    assert "\\<b\\>\\*bold\\*" in markdown_text(VIEWER["name"])
    with pytest.raises(ValueError):  # the Audit page is left out of the navigation
        at.switch_page("pages/7_Audit.py")
    for page in ("pages/1_Spaces.py", "pages/2_Hashtags.py", "pages/3_Rallies.py", "pages/4_Compare.py"):
        at.switch_page(page).run()
        assert not at.exception and not at.error, page
    at.switch_page("pages/5_Data.py").run()
    assert at.dataframe and at.get("download_button")  # the store overview and the zip export
    for control in ("upload-spaces", "data-url", "data-undo-dataset", "track-space-id", "data-editor-key"):
        with pytest.raises(KeyError):
            _widget(at, control)
    # Opened by its file all the same, the page checks the role itself and shows nothing.
    at.switch_page("pages/7_Audit.py").run()
    assert at.error[0].value == "This needs the admin role, and you have viewer: nothing was shown."
    assert not at.dataframe


def _widget(at: AppTest, key: str):
    for kind in (at.file_uploader, at.text_input, at.selectbox):
        try:
            return kind(key=key)
        except KeyError:
            continue
    raise KeyError(key)


def test_the_audit_page_opened_directly_refuses_a_viewer(store_dir):
    at = app(VIEWER, page=str(ROOT / "pages" / "7_Audit.py")).run()
    assert "This needs the admin role, and you have viewer: nothing was shown." in at.error[0].value
    assert not at.dataframe


def test_an_editor_saves_without_a_key_and_the_audit_names_them(store_dir):
    at = app(EDITOR).run()
    at.switch_page("pages/5_Data.py").run()
    with pytest.raises(KeyError):
        at.text_input(key="data-editor-key")  # no key is asked: the role decides
    content = (store_dir / "spaces.csv").read_bytes() + NEW_SPACE.encode()
    at.file_uploader(key="upload-spaces").upload("spaces.csv", content)
    at.run()
    at.button(key="data-merge").click().run()
    assert at.success[0].value == "Merged into spaces: 1 added, 0 updated, 51 unchanged."
    (row,) = load_dataset(store_dir, "audit")[0].to_dicts()
    assert (row["actor"], row["role"], row["action"], row["rows_added"], row["rows_updated"]) == (
        "desk@party.example",
        "editor",
        "merge",
        1,
        0,
    )
    with pytest.raises(ValueError):  # an editor has no Audit page either
        at.switch_page("pages/7_Audit.py")


def test_an_admin_sees_the_audit_and_the_access_table(store_dir):
    from pulse.data import ingest
    from pulse.data.audit import Actor
    from pulse.data.store import Store

    content = (store_dir / "spaces.csv").read_bytes() + NEW_SPACE.encode()
    ingest.merge(
        Store(store_dir, actor=Actor("desk@party.example", "editor")), ingest.inspect(content, "s.csv", "spaces"), "UTC"
    )
    at = app(ADMIN).run()
    at.switch_page("pages/7_Audit.py").run()
    assert not at.exception
    trail, table = at.dataframe[0].value, at.dataframe[1].value
    assert trail.iloc[0]["actor"] == "desk@party.example" and trail.iloc[0]["rows_added"] == 1
    assert table.iloc[0].tolist() == ["desk@party.example", "email", "editor"]
    assert at.get("download_button")[0].proto.label == "Download CSV"


def test_without_auth_nothing_changes(store_dir):
    at = AppTest.from_file(DASHBOARD, default_timeout=60)
    at.secrets["editor_key"] = KEY
    at.run()
    assert at.metric and "signed in" not in texts(at)
    with pytest.raises(ValueError):  # nobody is an admin without sign-in
        at.switch_page("pages/7_Audit.py")
    at.switch_page("pages/5_Data.py").run()
    assert at.file_uploader(key="upload-spaces") and at.text_input(key="data-url")


# -- every write path, called directly with a viewer's identity -------------------------------------------------


def write_path(directory: str, path: str, url: str) -> None:
    """Runs in AppTest: one write path of pulse.ui.editor, called as the Data page would after a click."""
    from pathlib import Path

    from pulse.data import ingest
    from pulse.data.store import Store
    from pulse.ui import editor

    store = Store(Path(directory))
    content = (Path(directory) / "spaces.csv").read_bytes() + b"sp-9998,PTI,Host,T,2022-05-30T15:00:00Z,,1,,,\n"
    inspected = ingest.inspect(content, "spaces.csv", "spaces")
    key = "correct horse battery staple"  # the right editor key, typed: it must not matter
    if path == "replace":
        editor.save_incoming(store, inspected, "replace", key, key)
    elif path == "merge":
        editor.save_incoming(store, inspected, "merge", key, key)
    elif path == "undo":
        editor.undo_last_save(store, "spaces", key, key)
    elif path == "session upload":
        editor.view_in_session(inspected)
    elif path == "url fetch":
        editor.fetch_url("spaces", url, 10)
    elif path == "tracking":
        editor.change_tracking(store, "start", "1DXxyRYNejbKM", 30, "a token", key, key)
    elif path == "stream tracking":
        editor.change_tracking(store, "start", "rallyLive01", 30, "a key", key, key, party="PTI")


WRITE_PATHS = ["replace", "merge", "undo", "session upload", "url fetch", "tracking", "stream tracking"]


@pytest.mark.parametrize("path", WRITE_PATHS)
@pytest.mark.parametrize("who", ["viewer", "anonymous viewer"])
def test_each_write_path_refuses_a_viewer_and_changes_nothing(store_dir, httpserver, path, who):
    from pulse.data import ingest
    from pulse.data.store import Store
    from pulse.ui import editor

    # One earlier save, so undo has something to undo.
    ingest.merge(
        Store(store_dir),
        ingest.inspect((store_dir / "spaces.csv").read_bytes() + NEW_SPACE.encode(), "s.csv", "spaces"),
        "UTC",
    )
    before = snapshot(store_dir)
    httpserver.expect_request("/spaces.csv").respond_with_data((store_dir / "spaces.csv").read_bytes())
    at = AppTest.from_function(
        write_path, default_timeout=60, args=(str(store_dir), path, httpserver.url_for("/spaces.csv"))
    )
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS | {"anonymous": "viewer"}
    at.user = VIEWER if who == "viewer" else {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith("Only an editor or an admin may do this, and you have viewer: nothing was")
    assert snapshot(store_dir) == before
    assert "session_uploads" not in at.session_state and "incoming" not in at.session_state
    assert httpserver.log == []  # the fetch was never made
    assert editor.trackers().statuses() == [] and editor.stream_trackers().statuses() == []


@pytest.mark.parametrize("path", ["replace", "merge", "undo"])
def test_the_same_write_paths_run_for_an_editor(store_dir, path):
    """The refusals above come from the role: an editor's call of the same path changes the store."""
    from pulse.data import ingest
    from pulse.data.store import Store

    ingest.merge(
        Store(store_dir),
        ingest.inspect((store_dir / "spaces.csv").read_bytes() + NEW_SPACE.encode(), "s.csv", "spaces"),
        "UTC",
    )
    before = snapshot(store_dir)
    at = AppTest.from_function(write_path, default_timeout=60, args=(str(store_dir), path, ""))
    at.secrets["auth"] = AUTH
    at.secrets["access"] = ACCESS
    at.user = EDITOR
    at.run()
    assert not at.exception and not at.error
    assert snapshot(store_dir) != before
    assert load_dataset(store_dir, "audit")[0]["actor"].to_list()[-1] == "desk@party.example"


def test_a_misspelt_rule_stops_the_app_with_its_name_and_shows_no_data(store_dir):
    at = app(ADMIN, ACCESS | {"anonymous": "everyone"}).run()
    reason = markdown_text("[access] anonymous is 'everyone': expected one of none, viewer")
    assert at.error[0].value == f"Sign-in is misconfigured: {reason}"
    assert (len(at.metric), len(at.dataframe)) == (0, 0)


def _author_ids_shown() -> None:
    import streamlit as st

    from pulse.ui.settings import author_ids_key

    st.markdown("raw ids" if author_ids_key() is None else "pseudonyms")


@pytest.mark.parametrize(("user", "shown"), [(VIEWER, "pseudonyms"), (EDITOR, "pseudonyms"), (ADMIN, "raw ids")])
def test_with_sign_in_raw_author_ids_are_for_admins_only(store_dir, user, shown):
    """show_author_ids asks for raw ids (the zip, bursts, drivers); with sign-in on only an admin gets them."""
    at = AppTest.from_function(_author_ids_shown, default_timeout=30)
    at.secrets["auth"], at.secrets["access"], at.secrets["show_author_ids"] = AUTH, ACCESS, "true"
    at.user = user
    at.run()
    assert not at.exception
    assert at.markdown[0].value == shown
