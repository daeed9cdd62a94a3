"""Charts: plotly figures built from metrics' frames; one theme, one module per subject.

A builder takes data first and plain choices after, calls plotly express, adjusts the figure and returns it.
"""

# Transitional: importers are rewritten to the defining modules once every package is split.
from pulse.charts.compare import aligned_windows
from pulse.charts.drivers import CONCENTRATION_TINTS, author_concentration
from pulse.charts.hashtags import hashtag_volume, share_of_voice_area
from pulse.charts.parties import party_hourly, party_trend, party_volume
from pulse.charts.rallies import (
    BORDERS,
    LABEL_PX_HIGH,
    LABEL_PX_PER_CHAR,
    MAP_PX_PER_DEGREE,
    PAKISTAN_VIEW,
    event_lift,
    map_labels,
    rally_map,
    rally_timeline,
)
from pulse.charts.spaces import reach_by_party, space_audience, space_overperformance, space_records
from pulse.charts.theme import (
    FONT,
    LEGEND_LINE_PX,
    MEASURES,
    OTHER_COLOR,
    PARTIAL_MARKER,
    RECORD_COLOR,
    ROW_PX,
    TEMPLATE,
    TITLE_CHARS,
    local_time,
    series_colors,
)
from pulse.charts.theme import finish as _finish

__all__ = [
    "BORDERS",
    "CONCENTRATION_TINTS",
    "FONT",
    "LABEL_PX_HIGH",
    "LABEL_PX_PER_CHAR",
    "LEGEND_LINE_PX",
    "MAP_PX_PER_DEGREE",
    "MEASURES",
    "OTHER_COLOR",
    "PAKISTAN_VIEW",
    "PARTIAL_MARKER",
    "RECORD_COLOR",
    "ROW_PX",
    "TEMPLATE",
    "TITLE_CHARS",
    "_finish",
    "aligned_windows",
    "author_concentration",
    "event_lift",
    "hashtag_volume",
    "local_time",
    "map_labels",
    "party_hourly",
    "party_trend",
    "party_volume",
    "rally_map",
    "rally_timeline",
    "reach_by_party",
    "series_colors",
    "share_of_voice_area",
    "space_audience",
    "space_overperformance",
    "space_records",
]
