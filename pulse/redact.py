"""Hiding a secret (the X bearer token) in any text that may reach a user, in every form a server may echo."""

import re
from urllib.parse import quote, quote_plus, unquote, unquote_plus

HIDDEN = "<hidden>"
# Shorter than this, a "secret" is no bearer token (X's are over 100 characters), and hiding it would blank out
# ordinary words of the message.
MIN_SECRET_LENGTH = 8


def hide_secret(text: str, secret: str | None) -> str:
    """`text` with `secret` replaced by <hidden> wherever it appears: as given, URL-encoded or decoded (once or
    twice), in any letter case (which also covers %2b against %2B)."""
    if not secret or len(secret) < MIN_SECRET_LENGTH:
        return text
    forms = {secret}
    for _ in range(2):  # a server may encode or decode what it got, and a proxy may do it again
        forms |= {f(form) for form in forms for f in (quote, _quote_all, quote_plus, unquote, unquote_plus)}
    pattern = "|".join(re.escape(form) for form in sorted(forms, key=len, reverse=True) if form)
    return re.sub(pattern, HIDDEN, text, flags=re.IGNORECASE)


def _quote_all(text: str) -> str:
    return quote(text, safe="")
