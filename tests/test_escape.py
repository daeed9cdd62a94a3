"""Text from data or from a link is shown as text: never a link, an image or markup, in Markdown or in plotly.

The pages run through AppTest on data whose party code, party name, host, city and hashtag are attacks, and
every Markdown body (labels, help, headings, alerts, toasts) and every figure is checked.
"""

import json
import re
import shutil
from datetime import date

import polars as pl
import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from pulse.charts.parties import party_trend
from pulse.escape import css_string, markdown_text, plotly_columns, plotly_text
from tests.conftest import BUNDLED, ROOT

# The attacker's server: 127.0.0.1:1 never answers, so a browser that tried would only show a broken image.
PARTY = "![p](http://127.0.0.1:1/x)<a href='http://127.0.0.1:1/a'>x</a>"
NAME = "[Your session expired - sign in again](http://127.0.0.1:1/login) <img src=http://127.0.0.1:1/n>"
HOST = "http://127.0.0.1:1/host www.evil.example attacker@evil.example :streamlit: :material/home:"
CITY = "$\\href{http://127.0.0.1:1/c}{Lahore}$ :red[city]"
HASHTAG = "Tag_`code`_*bold*"
LINK_PARTY = "[Your session expired](http://127.0.0.1:1/phish)"

HOSTILE = [PARTY, NAME, HOST, CITY, HASHTAG, LINK_PARTY, "line one\n# line two", "<script>alert(1)</script>"]


def shown(markdown: str) -> str:
    """What a reader sees of escaped text: backslash escapes undone, invisible joiners dropped."""
    return re.sub(r"\\(.)", r"\1", markdown.replace("  \n", "\n")).replace("\u2060", "")


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_keeps_every_character_and_leaves_no_markup(text):
    escaped = markdown_text(text)
    assert shown(escaped) == text
    unescaped = re.sub(r"\\.", "", escaped)  # what remains outside escapes must hold no Markdown syntax
    assert not re.search(r"[\[\]()!<>`*_$:#@~|]", unescaped), unescaped
    # Streamlit links bare URLs, www. names and e-mail addresses after escapes are undone, and turns :name:
    # into emoji, icons or its logo: none of those patterns may survive in the text itself.
    plain = re.sub(r"\\(.)", r"\1", escaped)
    assert not re.search(r"https?://|www\.|\w@\w|:\w+:|:material/", plain, re.IGNORECASE), plain


def test_markdown_text_keeps_line_breaks_as_line_breaks():
    assert markdown_text("first\nsecond") == "first  \nsecond"


def test_plotly_text_escapes_plotlys_markup_only():
    assert plotly_text("<a href='http://x'>P&L</a> \"q\"") == "&lt;a href='http://x'&gt;P&amp;L&lt;/a&gt; \"q\""
    frame = pl.DataFrame({"party": ["<b>A</b>"], "n": [1]}, schema={"party": pl.Categorical, "n": pl.Int64})
    assert plotly_columns(frame).to_dicts() == [{"party": "&lt;b&gt;A&lt;/b&gt;", "n": 1}]


def test_a_legend_name_from_data_is_text():
    daily = pl.DataFrame(
        {"party": [PARTY, PARTY], "date": [date(2022, 4, 1), date(2022, 4, 2)], "rolling_7d": [1.0, 2.0]}
    )
    figure = json.loads(party_trend(daily, {PARTY: "#D62828"}, "UTC").to_json())
    names = {trace["name"] for trace in figure["data"]}
    assert names == {plotly_text(PARTY)}
    assert "<a " not in json.dumps(figure, ensure_ascii=False)
    assert figure["data"][0]["line"]["color"] == "#D62828"  # the colour map follows the escaped name


# -- the pages ------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_data(tmp_path, monkeypatch):
    """The bundled data with PML-N's code, name, a host, a city and a hashtag replaced by attacks."""
    directory = tmp_path / "data"
    shutil.copytree(BUNDLED, directory, ignore=shutil.ignore_patterns("*.py", "*.md"))
    parties = pl.read_csv(directory / "parties.csv")
    parties.with_columns(
        pl.when(pl.col("party") == "PML-N").then(pl.lit(PARTY)).otherwise("party").alias("party"),
        pl.when(pl.col("party") == "PML-N").then(pl.lit(NAME)).otherwise("name").alias("name"),
    ).write_csv(directory / "parties.csv")
    for dataset, column, old, new in (
        ("spaces", "host", "PML-N Youth Wing", HOST),
        ("rallies", "city", "Mandi Bahauddin", CITY),
        ("hashtags", "hashtag", "ImportedHakumatNaManzoor", HASHTAG),
    ):
        frame = pl.read_csv(directory / f"{dataset}.csv", infer_schema=False)
        frame = frame.with_columns(pl.col(column).replace(old, new), pl.col("party").replace("PML-N", PARTY))
        assert (frame[column] == new).any()
        frame.write_csv(directory / f"{dataset}.csv")
    monkeypatch.setenv("PULSE_DATA_DIR", str(directory))
    return directory


def _elements(node):
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for child in children.values():
        yield from _elements(child)


def markdown_bodies(at: AppTest) -> list[str]:
    """Every text Streamlit renders as Markdown: bodies of text elements and alerts, labels and help."""
    found = []

    def collect(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, k)
        elif isinstance(value, list):
            for v in value:
                collect(v, key)
        elif isinstance(value, str) and key in ("body", "label", "help"):
            found.append(value)

    for element in _elements(at._tree):
        proto = getattr(element, "proto", None)
        if proto is not None and type(proto).__name__ not in ("Arrow", "PlotlyChart", "DownloadButton"):
            collect(MessageToDict(proto, preserving_proto_field_name=True))
    return found


def figures(at: AppTest) -> list[str]:
    """Each figure's JSON with its strings as plotly reads them (the spec writes < and & as \\u003c, \\u0026)."""
    return [json.dumps(json.loads(chart.proto.spec), ensure_ascii=False) for chart in at.get("plotly_chart")]


def assert_all_text(at: AppTest) -> None:
    assert not at.exception, at.exception
    bodies = markdown_bodies(at)
    assert bodies
    for body in bodies:
        plain = re.sub(r"\\(.)", r"\1", body)
        assert "](" not in re.sub(r"\\.", "", body), body
        assert not re.search(r"https?://|www\.|\w@\w|:streamlit:|:material/home", plain), body
        assert "<img" not in plain.lower() or "\\<img" in body, body
    for spec in figures(at):
        assert not re.search(r"<a\s|<img|<script", spec, re.IGNORECASE), re.findall(r".{40}<a\s.{40}", spec)


@pytest.mark.parametrize(
    "script", ["dashboard.py", "pages/1_Spaces.py", "pages/2_Hashtags.py", "pages/3_Rallies.py", "pages/4_Compare.py"]
)
def test_every_page_shows_hostile_data_as_text(hostile_data, script):
    at = AppTest.from_file(str(ROOT / script), default_timeout=60)
    if script.endswith("Compare.py"):
        at.query_params["versus"] = ["PTI", PARTY]
    at.run()
    assert_all_text(at)
    everything = json.dumps(markdown_bodies(at)) + "".join(figures(at))
    if script == "dashboard.py":
        assert PARTY in at.dataframe[0].value["party"].tolist()  # ranked, in a table cell: text, never Markdown
        assert plotly_text(PARTY) in everything
    if script.endswith("Compare.py"):
        heading = [m.value for m in at.markdown if "font-size:1.25rem" in m.value]
        assert any(markdown_text(PARTY) in h and markdown_text(NAME) in h for h in heading), heading


def test_a_link_in_the_url_is_text_in_the_unknown_parties_notice(hostile_data):
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params["party"] = [LINK_PARTY, "PTI"]
    at.run()
    assert_all_text(at)
    [warning] = [w.value for w in at.sidebar.warning]
    assert shown(warning) == f"The link had unknown parties: {LINK_PARTY}. They were ignored."
    assert [t.value for t in at.toast] == [warning]


def test_the_data_page_shows_hostile_file_names_urls_and_values_as_text(hostile_data):
    at = AppTest.from_file(str(ROOT / "pages" / "5_Data.py"), default_timeout=60).run()
    name = "[Open](http://127.0.0.1:1/f) ![i](http://127.0.0.1:1/i).csv"
    rows = (BUNDLED / "spaces.csv").read_text(encoding="utf-8").splitlines()
    bad = rows[1].split(",")
    bad[6] = "![v](http://127.0.0.1:1/v)"
    at.file_uploader(key="upload-spaces").upload(name, "\n".join([rows[0], ",".join(bad)]).encode())
    at.run()
    assert_all_text(at)
    assert markdown_text(name) in at.error[0].value

    url = "http://host.invalid/![i](http://127.0.0.1:1/i)/[Sign in](http://127.0.0.1:1/s).csv"
    at.text_input(key="data-url").input(url)
    at.button(key="data-fetch").click().run()
    assert_all_text(at)
    assert shown(at.error[0].value).startswith(f"could not download {url}: ")


def test_a_css_string_cannot_end_itself_or_the_style_tag():
    assert css_string("PML-N") == '"PML-N"'
    # a quote, brackets, braces, '<', '/', a backslash and a line break: each written as a 6-digit hex escape
    assert css_string('x"]{}</style>\\\n') == (
        '"x\\000022\\00005D\\00007B\\00007D\\00003C\\00002Fstyle\\00003E\\00005C\\00000A"'
    )
