"""The one rule for characters in text read from untrusted files, and the inert form of it.

Everything read from the model, ``.config`` files, result files and Kconfig help
may come from a stranger's pull request. Control characters in such text do
nothing useful and several harmful things: an ESC sequence rewrites what a
terminal shows (it can hide the rest of a message), a bidi override makes a
reviewer read text in another order than the tools do, and C0 characters make
XML (ReqIF) ill-formed. So:

* the loader refuses them (an ``unsafe-text`` finding at the file and line,
  :func:`unsafe_characters` says which), and
* whatever still reaches an output or a terminal goes through :func:`inert`,
  which writes each such character as a visible ``\\uXXXX`` escape (also valid
  inside a JSON string).

Tab and newline are text; everything else in C0, DEL, C1 and the Unicode bidi
controls is refused.
"""

from __future__ import annotations

import re

#: C0 except tab and newline, DEL, C1, and the bidi controls (ALM, LRM, RLM, the
#: embeddings and overrides U+202A-U+202E, the isolates U+2066-U+2069).
UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unsafe_characters(text: str) -> list[tuple[int, str]]:
    """Every refused character of ``text``: (its index, its visible escape), in order."""
    return [(match.start(), escape(match.group())) for match in UNSAFE_CHARACTERS.finditer(text)]


def escape(character: str) -> str:
    """The visible form of one refused character: ``\\u001b`` for ESC."""
    return f"\\u{ord(character):04x}"


def inert(text: str) -> str:
    """``text`` with every refused character written as its visible escape."""
    if UNSAFE_CHARACTERS.search(text) is None:  # the common case stays one scan
        return text
    return UNSAFE_CHARACTERS.sub(lambda match: escape(match.group()), text)
