"""Text a user or a claim controls, made safe where it lands: a terminal, Markdown, HTML, a file name.

Every string that reaches a report (a claim's id, statement, reasons, notes and comparison names; a
user's model name and data path; a baseline's keys) goes through one of these at the point where it
is written, so that a claim or a file name cannot inject a terminal escape sequence, a Markdown
heading or link, or an HTML element:

* :func:`plain`: one line; control characters (an ESC, a carriage return, a backspace, C1 codes,
  bidirectional overrides) shown as ``\\xNN`` escapes, runs of whitespace (newlines included) as one
  space. The terminal's form, and the base of the others.
* :func:`markdown`: :func:`plain`, then every character that starts inline markup, a link, inline
  HTML or a table cell backslash-escaped (CommonMark: any ASCII punctuation may be), and a list or
  heading marker where the text would begin a line, so that it renders as the text it is.
* :func:`html_text`: :func:`plain`, HTML-escaped with quotes (safe in text and in quoted attributes).
* :func:`anchor`: an HTML id / link target / file stem made of ``[a-z0-9-]`` only.
"""

from __future__ import annotations

import html
import re

# C0 controls but the whitespace that split() folds, DEL, C1, and the bidirectional overrides and isolates
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~])")  # inline markup, links, inline HTML, table cells
_LINE_START = re.compile(r"\A([+=-]|\d+(?=[.)]))")  # a list item or a setext underline where a line begins
_NOT_SLUG = re.compile(r"[^a-z0-9-]+")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
SLUG_LIMIT = 64  # characters of a claim id: a file name and an HTML id with room to spare


def _visible(match) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def plain(text) -> str:
    """``text`` on one line with its control characters shown as escapes (see the module)."""
    return " ".join(_CONTROL.sub(_visible, str(text)).split())


def markdown(text, *, at_line_start: bool = False) -> str:
    """``text`` as Markdown that renders as that text (one line, no markup, no inline HTML); with
    ``at_line_start``, where it begins a line, a list or setext marker it starts with escaped too."""
    text = _MARKDOWN.sub(r"\\\1", plain(text))
    match = _LINE_START.match(text) if at_line_start else None
    if match and match.group(0)[0].isdigit():
        end = match.end()
        return text[:end] + "\\" + text[end:]
    return "\\" + text if match else text


def html_text(text) -> str:
    """``text`` for HTML text or a quoted attribute (one line, ``<>&'"`` escaped)."""
    return html.escape(plain(text), quote=True)


def anchor(text) -> str:
    """A name of ``[a-z0-9-]`` only for ``text`` (an HTML id, a link target, a figure's file stem):
    a claim id (a validated slug: :data:`SLUG`) is its own anchor."""
    name = _NOT_SLUG.sub("-", str(text).lower()).strip("-")[:SLUG_LIMIT] or "item"
    return name


# what a terminal must not receive raw from text: every control character but newline and tab
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class TerminalStream:
    """A text stream that writes ``raw``'s text with its control characters (an ESC, a carriage
    return, a backspace, C1 codes, bidirectional overrides) shown as escapes: what the CLI prints
    passes through it, so that no name a user or a claim controls can move the cursor, recolour the
    terminal or rewrite a line. The progress bar writes to :attr:`raw`."""

    def __init__(self, raw):
        self.raw = raw

    def write(self, text):
        return self.raw.write(_TERMINAL.sub(_visible, text))

    def __getattr__(self, name):
        return getattr(self.raw, name)


def raw_stream(stream):
    """The stream under a :class:`TerminalStream` (``stream`` itself otherwise)."""
    return stream.raw if isinstance(stream, TerminalStream) else stream
