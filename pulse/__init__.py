"""Campaign Pulse: analytics for political campaign reach (Spaces, hashtags, rallies)."""
