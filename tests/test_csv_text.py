"""CSV as analysts read it: problems by physical line, encodings, ragged rows and repeated column names."""

import pytest

from pulse.data.ingest import inspect
from pulse.data.load import load_hashtags
from pulse.errors import ValidationError

HEADER = "space_id,party,host,title,started_at,total_listeners\n"


def problems(content: bytes, name: str = "spaces.csv") -> list[str]:
    with pytest.raises(ValidationError) as caught:
        inspect(content, name, "spaces")
    return [str(p) for p in caught.value.problems]


def test_line_numbers_count_the_line_breaks_inside_quoted_cells():
    text = (
        HEADER
        + 's1,PTI,h,"Jalsa\nLahore\n(live)",2022-04-20T17:00:00Z,100\n'  # lines 2-4
        + "s2,PTI,h,plain,2022-04-20T17:00:00Z,lots\n"  # line 5
        + 's3,PTI,h,"two\r\nlines",2022-04-20T17:00:00Z,-1\n'  # lines 6-7
        + "s4,PTI,h,,2022-04-20T17:00:00Z,five\n"  # line 8
    )
    assert problems(text.encode()) == [
        "spaces.csv, line 5, column 'total_listeners': value 'lots': not a whole number",
        "spaces.csv, line 6, column 'total_listeners': value '-1': a count cannot be negative",
        "spaces.csv, line 8, column 'total_listeners': value 'five': not a whole number",
    ]


def test_quoted_header_cells_with_line_breaks_count_too():
    text = 'space_id,party,host,"ti\ntle",started_at,total_listeners\ns1,PTI,h,t,2022-04-20T17:00:00Z,x\n'
    assert problems(text.encode()) == ["spaces.csv, line 3, column 'total_listeners': value 'x': not a whole number"]


@pytest.mark.parametrize("quoted", [False, True])
def test_ragged_rows_are_reported_by_line(quoted):
    title = '"a, b"' if quoted else "t"
    text = (
        HEADER
        + f"s1,PTI,h,{title},2022-04-20T17:00:00Z,100\n"
        + "s2,PTI,h,2022-04-20T17:00:00Z,100\n"  # title left out: polars would shift nothing, it pads the end
        + f"s3,PTI,h,{title},2022-04-20T17:00:00Z,100,extra\n"
    )
    assert problems(text.encode()) == [
        "spaces.csv, line 3: this line has 5 field(s), the header has 6",
        "spaces.csv, line 4: this line has 7 field(s), the header has 6",
    ]


def test_invalid_utf8_is_reported_with_its_line_and_bytes():
    content = (HEADER + "s1,PTI,h,t,2022-04-20T17:00:00Z,1\n").encode() + b"s2,PTI,Lahore \xe9,t,2022-04-20,1\n"
    assert problems(content) == ["spaces.csv, line 3: value 'e9': bytes not valid UTF-8: save the file as CSV UTF-8"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_a_byte_order_mark_is_decoded(encoding):
    text = HEADER + "s1,PTI,عمران خان,t,2022-04-20T17:00:00Z,446000\n"
    content = text.encode(encoding) if encoding == "utf-16" else b"\xfe\xff" + text.encode(encoding)
    inspected = inspect(content, "spaces.csv", "spaces")
    assert inspected.frame.select("host", "total_listeners").rows() == [("عمران خان", 446000)]


def test_utf16_without_a_byte_order_mark_is_named_as_such():
    content = (HEADER + "s1,PTI,h,t,2022-04-20T17:00:00Z,1\n").encode("utf-16-le")
    assert problems(content) == [
        "spaces.csv: this looks like UTF-16 text without a byte-order mark: save it as CSV UTF-8"
    ]


def test_a_repeated_column_name_is_an_error():
    text = "space_id,party,host,started_at,total_listeners,party\ns1,PTI,h,2022-04-20T17:00:00Z,1,PPP\n"
    assert problems(text.encode()) == [
        "spaces.csv, line 1, column 'party': value 'party': duplicate column name: rename or remove one"
    ]


def test_raw_tweets_read_as_they_stream_count_physical_lines_too(tmp_path):
    path = tmp_path / "hashtags.csv"
    path.write_text(
        "created_at,party,hashtag,text\n"
        '2022-04-20T17:00:00Z,PTI,a,"line one\nline two\nline three"\n'  # lines 2-4
        "2022-04-20T17:05:00Z,PTI,a,plain\n"  # line 5
        "20/04/2022,PTI,a,plain\n",  # line 6
        encoding="utf-8",
    )
    with pytest.raises(ValidationError) as caught:
        load_hashtags(path, "UTC")
    assert [str(p).split(": not an")[0] for p in caught.value.problems] == [
        "hashtags.csv, line 6, column 'created_at': value '20/04/2022'"
    ]
