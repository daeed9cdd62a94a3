"""Campaign Pulse: the entry point (`streamlit run dashboard.py`). It lists the pages, the overview first,
and shows what every page shares; each page's own content is in pages/."""

from pulse import ui

page = ui.navigation()
ui.upload_banner()
page.run()
