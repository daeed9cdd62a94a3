"""Campaign Pulse: the entry point (`streamlit run dashboard.py`). It lists the pages, the overview first,
and shows what every page shares; each page's own content is in pages/."""

from pulse.access import VIEWER
from pulse.ui import access, session

who = access.visitor()  # with sign-in on (secrets.toml's [auth]): afresh on every run, from st.user and [access]
page = session.navigation(who)
if who.may(VIEWER) and page.url_path != session.DISPLAY_PAGE[1]:  # a display shows its panels and nothing else
    access.identity_sidebar(who)
    session.sample_banner()
    session.upload_banner()
page.run()
