"""Text from data or from a URL, made safe to show: as Streamlit Markdown, in plotly's small HTML subset, and as
a string in a style sheet.

A party code, a host or a link's query parameter is data, never markup. Shown raw, `![p](http://host/x)` makes
every visitor's browser fetch from that host, `[Sign in again](http://evil)` puts a phishing link inside the
app, and `<a href>` in a plotly legend is a link too.
"""

import re

import polars as pl

# Every ASCII punctuation character can be backslash-escaped in CommonMark, and an escaped one is always a
# literal: this stops links, images, emphasis, code, HTML, headings, lists, tables, LaTeX ($) and Streamlit's
# directives (:red[...], :help[...]) at parse time. Inside a word (PML-N, Imran_Khan, 1.5, People's) these four
# are never markup, so they are left as they are.
_MARKDOWN_PUNCTUATION = re.compile(r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~]")
_SAFE_INSIDE_A_WORD = "-_.'"
# Some of Streamlit's Markdown runs after parsing, on the text itself, where escapes are already undone:
# GitHub's bare autolinks (http://…, www.…, name@host.org), emoji and :material/…: icon shortcodes and the
# :streamlit: logo. An invisible WORD JOINER (U+2060) after ':' and '@' and between 'www' and '.' breaks each
# of those patterns without changing what the reader sees.
_JOINER = "\u2060"
_AUTOLINK_PARTS = re.compile(r"(?<=[:@])|(?<=www)(?=\.)", re.IGNORECASE)
# What plotly reads as markup (<a href>, <b>, <br>, entities) in names, hovers, annotations and tick labels.
_PLOTLY_ENTITIES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))


def markdown_text(value: object) -> str:
    """`value` as literal text wherever Streamlit renders Markdown (labels, help, headings, alerts, toasts).

    Line breaks in `value` stay line breaks; nothing else in it is read as Markdown.
    """
    lines = str(value).splitlines() or [""]
    return "  \n".join(_MARKDOWN_PUNCTUATION.sub(_escaped, _AUTOLINK_PARTS.sub(_JOINER, line)) for line in lines)


def _escaped(match: re.Match) -> str:
    character, text, at = match.group(), match.string, match.start()
    inside_a_word = 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()
    return character if character in _SAFE_INSIDE_A_WORD and inside_a_word else "\\" + character


def plotly_text(value: object) -> str:
    """`value` as literal text in a plotly figure."""
    text = str(value)
    for character, entity in _PLOTLY_ENTITIES:
        text = text.replace(character, entity)
    return text


def plotly_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text column of `frame` as literal text in a plotly figure (plotly_text on each value)."""
    expr = pl.col(pl.String, pl.Categorical, pl.Enum).cast(pl.String)
    for character, entity in _PLOTLY_ENTITIES:
        expr = expr.str.replace_all(character, entity, literal=True)
    return frame.with_columns(expr)


_CSS_PLAIN = re.compile(r"[A-Za-z0-9_-]")


def css_string(value: object) -> str:
    """`value` as a quoted CSS string (an attribute selector's value): every character but letters, digits, '_'
    and '-' written as a 6-digit hex escape, so no quote, backslash, '<' or line break ends it or the style tag."""
    return '"' + "".join(c if _CSS_PLAIN.fullmatch(c) else f"\\{ord(c):06X}" for c in str(value)) + '"'


# -- text for a chat and for a log ---------------------------------------------------------------------------------
# What chats (Slack, Mattermost, Discord, Teams) read in a message's text: mentions (@channel, @here, @everyone),
# bare links (https://…, www.…, evil.example) and Markdown. A word joiner after '@', after ':' before '//' and after
# a '.' inside a name breaks every mention and autolink without changing what the reader sees; Markdown's
# emphasis, code, link brackets and tables are backslash-escaped (inside a word '_' is never emphasis, as above).
_CHAT_UNLINKED = re.compile(r"(?<=@)|(?<=:)(?=//)|(?<=\.)(?=\w)")
_CHAT_MARKDOWN = re.compile(r"[\\*_~`\[\]|]")
# A line opening with these is a heading, a quote, a list item or a rule in Markdown.
_CHAT_BLOCK = re.compile(r"^\s*([#>+\-=*]|\d+[.)])(\s|$)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def chat_text(value: object) -> str:
    """`value` as literal text in a chat message: one line, no mention, no link, no Markdown (Slack's own
    sequences `& < >` are escaped by the webhook's payload, pulse.watch.delivery)."""
    line = " ".join(_CONTROL.sub(" ", str(value)).split())
    line = _CHAT_MARKDOWN.sub(_escaped_in_chat, _CHAT_UNLINKED.sub(_JOINER, line))
    return _JOINER + line if _CHAT_BLOCK.match(line) else line


def _escaped_in_chat(match: re.Match) -> str:
    character, text, at = match.group(), match.string, match.start()
    inside_a_word = 0 < at < len(text) - 1 and text[at - 1].isalnum() and text[at + 1].isalnum()
    return character if character == "_" and inside_a_word else "\\" + character


def log_text(value: object) -> str:
    """`value` as one line of a log: line breaks, terminal escape codes and other control characters (and the
    marks that reorder text) written as escapes such as \\n and \\x1b, so text from outside cannot forge a line or
    repaint the terminal."""
    return _CONTROL.sub(_control_escape, str(value))


def _control_escape(match: re.Match) -> str:
    character = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    if character in named:
        return named[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
