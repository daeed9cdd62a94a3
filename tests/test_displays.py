"""displays.toml: strict TOML, every key checked, the built-in default when none is configured."""

import pytest

from pulse.displays import DEFAULT, Display, display_named, load_displays, parse_displays
from pulse.errors import PulseError

ISSUE_EXAMPLE = """
[[display]]
name = "war-room"
panels = ["today", "live", "alerts", "hour"]
layout = "rotate"          # or "grid"
rotate = "20s"
refresh = "30s"
stale_after = "30m"
theme = "dark"
parties = ["PTI", "PML-N", "PPP"]   # optional filter, as the sidebar's
"""


def test_the_issues_example_reads_as_written():
    assert parse_displays(ISSUE_EXAMPLE, "displays.toml") == {
        "war-room": Display(
            name="war-room",
            panels=("today", "live", "alerts", "hour"),
            layout="rotate",
            rotate_s=20.0,
            refresh_s=30.0,
            stale_after_s=1800.0,
            theme="dark",
            parties=("PTI", "PML-N", "PPP"),
        )
    }


def test_defaults_and_the_tick():
    (shown,) = parse_displays('[[display]]\nname = "board"\npanels = ["share", "record"]\n', "d.toml").values()
    assert (shown.layout, shown.rotate_s, shown.refresh_s, shown.stale_after_s, shown.theme, shown.parties) == (
        "rotate",
        20.0,
        30.0,
        1800.0,
        "light",
        None,
    )
    assert shown.tick_s == 20.0  # it rotates every 20 s: it reruns then, and refreshes its data too
    grid = parse_displays('[[display]]\nname = "g"\npanels = ["share", "record"]\nlayout = "grid"\n', "d.toml")["g"]
    assert grid.tick_s == 30.0  # nothing turns in a grid
    often = parse_displays('[[display]]\nname = "f"\npanels = ["share", "hour"]\nrefresh = "15s"\n', "d.toml")["f"]
    assert often.tick_s == 10.0  # refreshed within 15 s, turned at 20 s: every 10 s
    one = parse_displays('[[display]]\nname = "o"\npanels = ["share"]\nrotate = "5s"\n', "d.toml")["o"]
    assert one.tick_s == 30.0  # one panel does not turn


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('name = "a"\npanels = ["today"]\ncolour = "red"', "d.toml: display[1].colour: unknown key"),
        ('name = "a"\npanels = ["today", "weather"]', "d.toml: display[1].panels: unknown panel 'weather'"),
        ('name = "a"\npanels = []', "d.toml: display[1].panels: a list of one or more panels"),
        ('name = "a"\npanels = ["today", "today"]', "a panel is listed twice"),
        ('name = "a"\npanels = ["today"]\nlayout = "mosaic"', "display[1].layout: rotate or grid (got 'mosaic')"),
        ('name = "a"\npanels = ["today"]\ntheme = "neon"', "display[1].theme: light or dark (got 'neon')"),
        ('name = "a"\npanels = ["today"]\nrotate = "soon"', "display[1].rotate: not an interval"),
        ('name = "a"\npanels = ["today"]\nrefresh = "1s"', "display[1].refresh: at least 2 s"),
        ('name = "a"\npanels = ["today"]\nstale_after = "2d"', "display[1].stale_after: not an interval"),
        ('name = "a"\npanels = ["today"]\nrotate = true', "display[1].rotate: a duration"),
        ('name = "A Room"\npanels = ["today"]', "display[1].name: lower-case letters"),
        ('name = "a"\npanels = ["today"]\nparties = "PTI"', "display[1].parties: a list of one or more party codes"),
        (
            'name = "a"\npanels = ["today", "hour", "live", "alerts", "share"]\nlayout = "grid"',
            "a grid holds at most 4 panels (got 5)",
        ),
    ],
)
def test_a_bad_display_is_refused_with_its_key_named(body, message):
    with pytest.raises(PulseError, match=None) as raised:
        parse_displays(f"[[display]]\n{body}\n", "d.toml")
    assert message in str(raised.value)


def test_unknown_top_level_keys_twice_named_and_bad_toml_are_refused():
    with pytest.raises(PulseError, match=r"^d.toml: displays: unknown key"):
        parse_displays('displays = 1\n[[display]]\nname = "a"\npanels = ["today"]\n', "d.toml")
    twice = '[[display]]\nname = "a"\npanels = ["today"]\n[[display]]\nname = "a"\npanels = ["hour"]\n'
    with pytest.raises(PulseError, match=r"display\[2\].name: 'a' is named twice"):
        parse_displays(twice, "d.toml")
    with pytest.raises(PulseError, match="d.toml: not valid TOML"):
        parse_displays("[[display]\n", "d.toml")
    with pytest.raises(PulseError, match="one or more"):
        parse_displays("", "d.toml")


def test_where_the_displays_come_from(tmp_path, monkeypatch):
    monkeypatch.delenv("PULSE_DISPLAYS", raising=False)
    assert load_displays(tmp_path / "absent.toml") == {"default": DEFAULT}
    monkeypatch.setenv("PULSE_DISPLAYS", str(tmp_path / "absent.toml"))
    with pytest.raises(PulseError, match="PULSE_DISPLAYS: .*absent.toml not found"):
        load_displays()
    named = tmp_path / "displays.toml"
    named.write_text(ISSUE_EXAMPLE, encoding="utf-8")
    monkeypatch.setenv("PULSE_DISPLAYS", str(named))
    found = load_displays()
    assert list(found) == ["default", "war-room"]
    assert display_named(None, found).name == "war-room"  # the first configured one, not the built-in
    assert display_named("default", found) == DEFAULT
    with pytest.raises(PulseError, match="no display is called 'lobby': the displays are default, war-room"):
        display_named("lobby", found)
    named.write_bytes(b"#" * (64 * 1024 + 1))
    with pytest.raises(PulseError, match="larger than 64 KB"):
        load_displays()
