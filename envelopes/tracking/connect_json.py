"""Strict JSON for Connect messages: what DocuSign never sends is refused with 400.

Python's json module accepts NaN and Infinity, lone UTF-16 surrogates (`"\\ud800"`) and
nesting deep enough to raise RecursionError; PostgreSQL's jsonb refuses the first two (a
503, which DocuSign retries for ever) and the last is a 500 with a huge traceback. Each is
refused here, before anything is parsed recursively or stored.
"""

import json
import re
from collections.abc import Iterator
from typing import IO, Any

import ijson

# A JSON SIM message nests about eight deep (data.envelopeSummary.recipients.signers[].tabs
# .textTabs[]...); anything past this is not DocuSign.
MAX_DEPTH = 64
DOCUMENT_KEYS = frozenset({"documentBase64", "PDFBytes"})

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(rb"[\[\]{}]")
# Escapes that could decode to NUL or half of a surrogate pair: worth walking the message.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")
_SURROGATE = re.compile("[\ud800-\udfff]")


class BadMessage(ValueError):
    """A message we refuse with 400; the text says what is wrong."""


def _too_deep() -> BadMessage:
    return BadMessage(f"The JSON nests deeper than {MAX_DEPTH} levels; DocuSign never does.")


def check_depth(data: bytes) -> None:
    """Refuse nesting past MAX_DEPTH, counting brackets outside strings (no recursion)."""
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub(b"", data)):
        if match.group() in b"[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
        else:
            depth -= 1


def _no_constants(name: str) -> Any:
    raise BadMessage(f"{name} is not a JSON number; DocuSign never sends it.")


def loads(data: bytes) -> Any:
    """Parse a message held in memory (BadMessage for anything but strict JSON)."""
    check_depth(data)
    try:
        value = json.loads(data, parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError) as exc:
        if isinstance(exc, BadMessage):
            raise
        raise not_json() from None
    if _SUSPECT_ESCAPE.search(data):
        check_text(value)
    return value


def not_json() -> BadMessage:
    return BadMessage("The body is not JSON: DocuSign Connect must send JSON (SIM).")


def check_text(value: Any) -> None:
    """Refuse NUL characters and lone surrogates in any key or string (jsonb stores neither)."""
    stack = [value]
    while stack:  # iterative: depth is checked already, but a walk needs no recursion
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise BadMessage(
                    "A value contains the NUL character (\\u0000); DocuSign never sends it."
                )
            if _SURROGATE.search(item):
                raise BadMessage(
                    "A value contains a lone UTF-16 surrogate (such as \\ud800): not valid "
                    "Unicode, and DocuSign never sends it."
                )
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def without_documents(value: Any) -> Any:
    """A copy without document content (depth is checked before this recursion)."""
    if isinstance(value, dict):
        return {k: without_documents(v) for k, v in value.items() if k not in DOCUMENT_KEYS}
    if isinstance(value, list):
        return [without_documents(v) for v in value]
    return value


def _events(file: IO[bytes]) -> Iterator[tuple[str, str, Any]]:
    depth = 0
    for prefix, event, value in ijson.parse(file, use_float=True):
        if event in ("start_map", "start_array"):
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep()
        elif event in ("end_map", "end_array"):
            depth -= 1
        yield prefix, event, value


def streamed_without_documents(file: IO[bytes]) -> Any:
    """Build the message from a file, dropping document content as it goes by (each
    document's text is seen once by the parser and let go). The parser (yajl) refuses NaN
    and Infinity itself and turns a lone surrogate into "?"."""
    builder = ijson.ObjectBuilder()
    skipping = ""
    try:
        for prefix, event, value in _events(file):
            if skipping and (prefix == skipping or prefix.startswith(skipping + ".")):
                continue
            skipping = ""
            if event == "map_key" and value in DOCUMENT_KEYS:
                skipping = f"{prefix}.{value}" if prefix else str(value)
                continue
            builder.event(event, value)
    except (ijson.JSONError, UnicodeDecodeError):
        raise not_json() from None
    return builder.value
