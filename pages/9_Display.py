"""Display: a screen that runs by itself on the war room's wall or the newsroom's public board. displays.toml says
which panels it shows, whether they rotate or share the screen, and how often they refresh; a share link
(`python -m pulse display-link create`) opens one display without signing in, and nothing else."""

from pulse.ui import display, display_admin, session

session.setup_page("Display", needed=None)  # who may see it is the link's or the role's: display.admitted
shown, token = display.admitted()
if token is None and display_admin.wanted():  # ?links=manage, for an admin: make, list and revoke share links
    display_admin.manage()
else:
    display.screen(shown, token)
