"""`pulse watch`: keep a data directory fresh from the X API and YouTube, track live Spaces and live streams, raise and
deliver alerts.

One watcher per data directory (a lock in `<data>/.watch/`). Everything it must remember across a restart
lives in the store: the data itself (merged through the store, so a step done twice changes nothing), and
`<data>/.watch/state.json` (resolved user ids, the Spaces and streams being sampled, the channels' uploads playlists,
the day's YouTube quota, how each job last went and when it runs next, the rally announcements already seen, and a
heartbeat the dashboard reads). SIGTERM or Ctrl-C lets the write in progress finish, then stops.

By stage: `settings` (watch.toml), `lock` (one watcher per directory), `runner` (the watcher and its cycle),
`streams` (the YouTube jobs), `rules` (when an alert is raised), `alerts` (the alerts dataset), `delivery` (webhooks
and retries), `state` (what the dashboard reads of a running watcher), `tracking` (the app's own live-Space and
live-stream trackers).
"""
