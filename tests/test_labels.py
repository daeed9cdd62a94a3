"""Moments, windows, ages, growth and the "usual" multiple as the pages write them, against a fixed clock."""

from datetime import date, timedelta

import pytest

from pulse.metrics.filters import Filters
from pulse.ui.labels import (
    as_of_label,
    data_age,
    growth,
    hour_label,
    range_label,
    short,
    usual_multiple,
    window_label,
)
from tests.conftest import utc

TZ = "Asia/Karachi"
AS_OF = utc(2022, 6, 1)  # 1 Jun 2022 05:00 PKT


def test_a_moment_shows_its_year_when_it_is_not_this_year():
    in_2022, in_2026 = utc(2022, 7, 1), utc(2026, 12, 7, 12)
    assert as_of_label(AS_OF, TZ, now=in_2022) == "1 Jun 05:00 PKT"
    assert as_of_label(AS_OF, TZ, now=in_2026) == "1 Jun 2022 05:00 PKT"
    assert hour_label(utc(2022, 5, 31, 16), TZ, now=in_2026) == "31 May 2022 21:00–22:00 PKT"
    assert window_label(AS_OF, 24, TZ, now=in_2022) == "31 May 05:00 – 1 Jun 05:00 PKT"
    assert window_label(AS_OF, 24, TZ, now=in_2026) == "31 May 2022 05:00 – 1 Jun 2022 05:00 PKT"
    # The year is the local one: 31 Dec 2025 20:00 UTC is 1 Jan 2026 01:00 in Pakistan, this year on 7 Dec 2026.
    new_year = utc(2025, 12, 31, 20)
    assert window_label(new_year, 24, TZ, now=in_2026) == "31 Dec 2025 01:00 – 1 Jan 01:00 PKT"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (AS_OF + timedelta(hours=24), None),  # a day old is current enough: nothing said
        (AS_OF + timedelta(hours=25), "1 day"),
        (utc(2022, 6, 4, 12), "3 days"),
        (utc(2022, 7, 1), "1 month"),
        (utc(2022, 6, 30, 23), "29 days"),  # not yet a whole month
        (utc(2023, 6, 1), "1 year"),
        (utc(2026, 12, 7, 12), "4 years 6 months"),  # the bundled sample seen on 7 Dec 2026
        (utc(2026, 5, 31, 23), "3 years 11 months"),
    ],
)
def test_how_old_the_data_is(now, expected):
    assert data_age(AS_OF, now) == expected


def test_growth_reads_the_same_everywhere():
    assert (growth(24.94), growth(-42.8), growth(0.0), growth(None)) == ("+24.9%", "-42.8%", "+0.0%", "–")


def test_short_counts_keep_three_significant_digits():
    shown = [short(v) for v in (1_067_572, 854_601, 49_095, 999_999, 999.6, 22, 0, None)]
    assert shown == ["1.07M", "855K", "49.1K", "1M", "1K", "22", "0", "–"]


def test_the_range_is_a_presets_hours_or_a_custom_ranges_days():
    preset = Filters(date(2022, 5, 31), date(2022, 6, 1), hours=(AS_OF - timedelta(hours=24), AS_OF))
    assert range_label(preset, TZ, now=utc(2026, 1, 1)) == "31 May 2022 05:00 – 1 Jun 2022 05:00 PKT"
    assert range_label(Filters(date(2022, 3, 10), date(2022, 3, 20)), TZ) == "10 Mar 2022 to 20 Mar 2022"


def test_a_spaces_multiple_of_its_partys_usual():
    assert usual_multiple(48.11, "PTI") == "48.1× PTI's usual"
    assert usual_multiple(4.0, "PTI", so_far=True) == "at least 4.0× PTI's usual so far"
    assert usual_multiple(None, "PTI") == "–"
