"""Spec text to Python source: the one escaping path every generated module goes through.

Everything a spec says that ends up in generated code (names aside, which the IR has made identifiers)
comes through here: string literals, docstrings, other literals. Backslashes, quotes of both kinds, `\\u`,
template syntax, control characters, lone surrogates and characters outside the BMP all come out so that
the running program sees exactly the spec's text.
"""

from __future__ import annotations

import textwrap
from typing import Any

__all__ = ["docstring", "literal", "string"]


def _escape_char(ch: str, quote: str) -> str:
    if ch == "\\":
        return "\\\\"
    if ch == quote:
        return "\\" + ch
    if ch == "\n":
        return "\\n"
    if ch == "\r":
        return "\\r"
    if ch == "\t":
        return "\\t"
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF or not ch.isprintable():
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return ch


def string(text: str) -> str:
    """A one-line Python string literal of `text`, as ruff format writes it (double quotes unless a single
    quote needs fewer escapes)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    return quote + "".join(_escape_char(ch, quote) for ch in text) + quote


def literal(value: Any) -> str:
    """A one-line Python literal for a JSON-like value (tuples stay tuples)."""
    if value is None or isinstance(value, (bool, int)):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"no JSON value is {value!r}")
        return repr(value)
    if isinstance(value, str):
        return string(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, (tuple, frozenset, set)):
        items = list(value) if isinstance(value, tuple) else sorted(value, key=repr)
        inner = ", ".join(literal(v) for v in items)
        if isinstance(value, tuple):
            return f"({inner},)" if len(items) == 1 else f"({inner})"
        return f"frozenset({{{inner}}})" if items else "frozenset()"
    raise TypeError(f"no Python literal for {type(value).__name__}")


def _docstring_body(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(ch)
        elif ch == "\\":
            out.append("\\\\")
        else:
            out.append(_escape_char(ch, ""))
    body = "".join(out).replace('"""', '\\"\\"\\"')
    # A closing quote of the text would fuse with the docstring's own; a trailing space would be stripped.
    if body.endswith('"'):
        body = body[:-1] + '\\"'
    return body


def docstring(text: str, indent: int = 0, width: int = 108, keep_lines: bool = False, pad: bool = True) -> str:
    """A triple-quoted docstring holding `text` (wrapped to `width`, paragraphs kept), indented for a body
    at `indent` spaces; the opening quotes are not indented (the template places them). With `keep_lines`,
    every line of the text stays a line (wrapped with a hanging indent when long): for lists. Without `pad`
    the lines are wrapped for `indent` but not indented (for a template that indents them itself)."""
    margin = " " * indent if pad else ""
    paragraphs = [p for p in text.strip().split("\n\n")] if text.strip() else [""]
    lines: list[str] = []
    room = max(20, width - indent)
    for n, para in enumerate(paragraphs):
        if n:
            lines.append("")
        rows = para.splitlines() if keep_lines else [para]
        for row in rows:
            lines.extend(textwrap.wrap(" ".join(row.split()), room, break_long_words=False, break_on_hyphens=False,
                                       subsequent_indent="    " if keep_lines else "") or [""])
    if len(lines) == 1:
        return '"""' + _docstring_body(lines[0]) + '"""'
    body = "\n".join((margin + _docstring_body(line)) if line else "" for line in lines[1:])
    return '"""' + _docstring_body(lines[0]) + "\n" + body + "\n" + margin + '"""'
