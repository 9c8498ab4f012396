"""HAR 1.2 files: their entries streamed one at a time (ijson), and what a recorded entry says (its action,
headers, parameters, body)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, unquote

from ...recordings import ContentCodingError, last, undo_content_coding
from . import reading
from .reading import Unreadable


class NotHar(Exception):
    """The file is JSON but holds no log.entries list."""


class HarSyntax(Exception):
    """The file stops being JSON somewhere; the message is the parser's, in one line."""


class EntryTooLarge(Exception):
    """One entry holds more than MAX_BYTES: it cannot be read in bounded memory."""


class _Counted:
    """A file that counts what is read from it, so an entry that grows past the bound stops the reading."""

    def __init__(self, fh: BinaryIO, limit: int) -> None:
        self.fh, self.limit = fh, limit
        self.total = 0
        self.entry_started: int | None = None

    def read(self, size: int = -1) -> bytes:
        if self.entry_started is not None and self.total - self.entry_started > self.limit:
            raise EntryTooLarge
        data = self.fh.read(size)
        self.total += len(data)
        return data


def entries(fh: BinaryIO) -> Iterator[Any]:
    """The items of log.entries, one at a time: peak memory is one entry, whatever the file's size.

    NotHar when the file holds no log.entries list, HarSyntax where it stops being JSON, EntryTooLarge
    when one entry is over MAX_BYTES (the entries before it have been given)."""
    import ijson  # type: ignore[import-untyped]  # the toolkit's dependency, imported when a HAR file is read

    counted = _Counted(fh, reading.MAX_BYTES)
    found = False
    depth = 0

    def watched() -> Iterator[tuple[str, str, Any]]:
        nonlocal found, depth
        for prefix, event, value in ijson.parse(counted, use_float=True):
            if prefix == "log.entries" and event == "start_array":
                found = True
            elif prefix.startswith("log.entries.item"):
                if event in ("start_map", "start_array"):
                    depth += 1
                    if depth == 1:
                        counted.entry_started = counted.total
                elif event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        counted.entry_started = None
            yield prefix, event, value

    items = ijson.items(watched(), "log.entries.item")
    while True:
        try:
            item = next(items)
        except StopIteration:
            break
        except EntryTooLarge:
            raise
        except Exception as exc:  # ijson's errors and the reader's: the file ends being JSON here
            raise HarSyntax(_first_line(exc)) from None
        yield item
    if not found:
        raise NotHar


def _first_line(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return str(text).strip().splitlines()[0] if str(text).strip() else type(exc).__name__


def header(message: dict[str, Any], name: str) -> str:
    """A recorded header's value (the first of that name, any case), stripped; "" when absent."""
    headers = message.get("headers")
    for h in headers if isinstance(headers, list) else []:
        if isinstance(h, dict) and str(h.get("name", "")).lower() == name and isinstance(h.get("value"), str):
            return str(h["value"]).strip()
    return ""


def decompressed(data: bytes, content_encoding: str) -> bytes:
    """A recorded body as it was before its Content-Encoding, to MAX_BYTES at most (Unreadable if it cannot be)."""
    try:
        return undo_content_coding(data, content_encoding, reading.MAX_BYTES, reader="this check")
    except ContentCodingError as exc:
        raise Unreadable(f"{exc}: not checked") from None


_ACTION_PARAM = re.compile(r"(?:^|[?&])Action=([^&#\s]+)")


def entry_action(request: dict[str, Any]) -> str | None:
    """The Action a recorded request called: a query or form parameter, the x-acs-action header (V3), or the URL
    or form text; of an Action sent more than once, the last (`recordings.last`). Parts of the wrong type are
    passed over."""
    post = request.get("postData")
    post = post if isinstance(post, dict) else {}
    pairs = [p for group in (request.get("queryString"), post.get("params")) if isinstance(group, list)
             for p in group]
    sent = [str(p["value"]) for p in pairs
            if isinstance(p, dict) and p.get("name") == "Action" and isinstance(p.get("value"), str)]
    if sent:
        return last(sent)
    action = header(request, "x-acs-action")
    if action:
        return action
    url, form = request.get("url"), post.get("text")
    for text in (url.partition("?")[2] if isinstance(url, str) else "", form if isinstance(form, str) else ""):
        found = _ACTION_PARAM.findall(text)
        if found:
            return unquote(last(found) or "")
    return None


def request_params(request: dict[str, Any]) -> tuple[dict[str, list[str]], list[str]]:
    """The parameters a recorded request sent, by name (query string and form body; a name may come more
    than once), and what could not be read (each a short phrase, never a value).

    The query comes from the URL (what was sent), or from `queryString` when the URL has none; the form
    from `postData.params`, else from `postData.text` when its type is a URL-encoded form."""
    params: dict[str, list[str]] = {}
    problems: list[str] = []

    def add(name: Any, value: Any, where: str) -> None:
        if not isinstance(name, str) or not isinstance(value, str):
            problems.append(f"a {where} parameter that is not a name and a text value")
            return
        params.setdefault(name, []).append(value)

    url = request.get("url")
    query = url.partition("?")[2].partition("#")[0] if isinstance(url, str) else ""
    if query:
        for name, value in parse_qsl(query, keep_blank_values=True):
            add(name, value, "query")
    elif isinstance(request.get("queryString"), list):
        for p in request["queryString"]:
            add(p.get("name") if isinstance(p, dict) else None, p.get("value") if isinstance(p, dict) else None,
                "query")
    post = request.get("postData")
    if isinstance(post, dict):
        form = post.get("params")
        mime = str(post.get("mimeType") or header(request, "content-type")).lower()
        if isinstance(form, list) and form:
            for p in form:
                add(p.get("name") if isinstance(p, dict) else None,
                    p.get("value") if isinstance(p, dict) else None, "form")
        elif isinstance(post.get("text"), str) and "x-www-form-urlencoded" in mime:
            for name, value in parse_qsl(post["text"], keep_blank_values=True):
                add(name, value, "form")
    return params, problems
