"""Campaign Pulse: the entry point (`streamlit run dashboard.py`). It lists the pages, the overview first,
and shows what every page shares; each page's own content is in pages/."""

from pulse.ui import session

page = session.navigation()
session.sample_banner()
session.upload_banner()
page.run()
