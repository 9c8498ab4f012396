"""Python names for spec names: decided once, here, with every collision resolved by one documented rule.

A spec name becomes a Python name by these rules (docs/design.md, "Names"):

* attributes, parameters and methods are snake_case, acronym-aware (`IPv6Address` -> `ipv6_address`,
  `IDs` -> `ids`, `URLList` -> `url_list`); classes keep the component's name; value set members are
  UPPER_SNAKE_CASE of their value (`NotStarted` -> `NOT_STARTED`, `01` -> `VALUE_01`, "" -> `EMPTY`);
* a name that starts with a digit gets a prefix (`field_`, `Model`, `VALUE_`);
* a name that collides with something the generated code defines or imports in the same scope (the
  `RESERVED_*` sets below), with a Python keyword, or with a name already given in that scope gets a
  trailing underscore, repeated until it is free;
* the spec may choose any name itself: `x-python-name` on a property, parameter, component or operation,
  `x-enum-names` on a value set. A chosen name is checked like the others but never changed: a collision
  is a spec error.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

from ..runtime import _base, _errors

# The parts of a name: an acronym's plural (IDs), an acronym with a version (IPv6, S3), an acronym before a
# word (URL in URLList), a word with its digits (Address, md5), a trailing acronym, digits.
_TOKEN = re.compile(r"[A-Z]{2,}s(?![a-z])|[A-Z]+[a-z]?[0-9]+|[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*|[A-Z]+|[0-9]+")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# Names the generated modules bind at module level (imports and their own definitions besides the spec's
# classes); a spec class must not take one. tests/test_names.py holds the generated modules to this list.
# Everything the copied runtime exports is in it by construction.
RESERVED_MODULE = frozenset(_base.__all__) | frozenset(_errors.__all__) | frozenset({
    # runtime and typing names the package exports or its modules import
    "UNSET", "Note", "OpenStrEnum", "ParseError", "UnsetType", "ClientError", "TransportError",
    "ResponseParseError", "RequestValidationError", "WaiterTimeoutError", "PaginationError", "Paginator",
    "RetryPolicy", "Credentials", "CredentialsProvider", "Transport", "Any", "Final", "Literal", "overload",
    "Callable", "TYPE_CHECKING", "dataclass", "field", "annotations", "parse_response", "SPEC_SHA256",
    "ERROR_CLASSES", "VALIDATORS", "Issue", "validate", "TypeAlias", "re", "json", "time", "math", "st",
    # the client module's: both clients' runtime names and what their signatures use
    "AsyncPaginator", "AsyncTransport", "ThreadedTransport", "HttpTransport", "Response", "Awaitable", "random",
    "wait_until", "wait_until_async",
})
# Attribute names every model class has (or inherits) besides its fields, and names its class body uses.
RESERVED_MODEL_ATTRS = frozenset({
    "extra_fields", "notes", "from_dict", "to_dict", "coercions", "field", "classmethod", "property",
    "staticmethod", "str", "int", "float", "bool", "list", "dict", "tuple", "object", "type",
})
# Attributes of the error classes besides the error body's fields (and of Exception itself).
RESERVED_ERROR_ATTRS = frozenset({
    "code", "message", "http_status", "body", "retryable", "headers", "attempts", "args", "with_traceback",
    "add_note", "from_body",
})
# The strategies module's own functions; each model gets `<model>_documents` beside them.
RESERVED_STRATEGIES = frozenset({"response_documents", "invalid_response_documents", "edge_documents"})
# Parameter names the client's methods take besides the operation's parameters.
RESERVED_PARAMS = frozenset({"self", "cls", "max_pages", "timeout", "poll_interval", "on_progress"})
# Methods and attributes every client has besides one method per operation, paginator and waiter.
RESERVED_CLIENT_ATTRS = frozenset({
    "close", "endpoint", "region_id", "retry", "signature_version", "response_format", "user_agent",
    "validate_requests", "transport",
})
# A parameter that shadows a builtin would hide it from the method body: those get the underscore too.
_BUILTINS = frozenset(n for n in dir(builtins) if not n.startswith("_"))


def tokens(name: str) -> list[str]:
    return _TOKEN.findall(name)


def snake(name: str) -> str:
    """`IPv6Address` -> `ipv6_address`, `IDs` -> `ids`, `URLList` -> `url_list`."""
    s = "_".join(t.lower() for t in tokens(name))
    if not s:
        return "field"
    return "field_" + s if s[0].isdigit() else s


def member(value: str) -> str:
    """A value set member's name: `NotStarted` -> `NOT_STARTED`, `01` -> `VALUE_01`, "" -> `EMPTY`."""
    if value == "":
        return "EMPTY"
    s = "_".join(t.upper() for t in tokens(value))
    if not s:
        return "VALUE"
    return "VALUE_" + s if s[0].isdigit() else s


def class_name(name: str) -> str:
    """A component's class name: its own name when it is an identifier, else its parts capitalised."""
    if _IDENTIFIER.fullmatch(name) and not name.startswith("_"):
        return name
    s = "".join(t[:1].upper() + t[1:] for t in tokens(name)) or "Model"
    return "Model" + s if s[0].isdigit() else s


def is_identifier(name: str) -> bool:
    return bool(_IDENTIFIER.fullmatch(name)) and not keyword.iskeyword(name) and not name.startswith("_")


class Scope:
    """The names given in one Python scope; `take` resolves a wanted name against them by the rule above."""

    def __init__(self, reserved: Iterable[str] = (), *, builtins_too: bool = False) -> None:
        self.reserved = frozenset(reserved) | (_BUILTINS if builtins_too else frozenset())
        self.given: dict[str, str] = {}  # python name -> the spec name it was given for

    def taken(self, name: str) -> bool:
        return name in self.given or name in self.reserved or keyword.iskeyword(name)

    def take(self, want: str, owner: str) -> str:
        name = want
        while self.taken(name):
            name += "_"
        self.given[name] = owner
        return name

    def claim(self, name: str, owner: str) -> str | None:
        """A name the spec chose: taken as it is, or None (with nothing taken) when it is not free."""
        if not is_identifier(name) or self.taken(name):
            return None
        self.given[name] = owner
        return name
