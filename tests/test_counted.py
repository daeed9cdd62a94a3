"""Counts shown with their noun: "1 campaign shown", not "1 campaigns shown" (issue 24)."""

from pulse.ui.labels import counted


def test_counted_says_one_thing_and_many_things():
    assert counted(1, "campaign") == "1 campaign"
    assert counted(0, "campaign") == "0 campaigns"
    assert counted(1204, "hashtag") == "1,204 hashtags"
    assert counted(2, "earlier version") == "2 earlier versions"
