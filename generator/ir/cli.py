"""x-cli.status: the toolkit's generic `status` command for one operation (docs/design.md, "x-cli")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..load import Pointer
from .base import Context, as_dict
from .operations import Operation, Parameter, Resolver, Waiter

# The status command's own flags: an x-cli option must not take one (the command reads this set too).
STATUS_OWN_OPTIONS = frozenset({"region", "endpoint", "watch", "format", "interval", "timeout", "page-size", "color",
                                "package", "help", "quiet", "record"})


@dataclass(frozen=True)
class CliOption:
    """x-cli.status.options: `--flag VALUE` on the command line sets request parameter `param`."""

    flag: str
    param: Parameter
    default: Any
    help: str

    @property
    def required(self) -> bool:
        return self.param.required and self.default is None


@dataclass(frozen=True)
class CliColumn:
    field: str  # item field (wire name)
    title: str
    max_width: int | None


@dataclass(frozen=True)
class CliStatus:
    """x-cli.status on an operation: the toolkit's generic `status` command (see docs/design.md, "x-cli")."""

    help: str
    waiter: Waiter
    options: tuple[CliOption, ...]
    columns: tuple[CliColumn, ...]
    outcome_field: str  # item field that classifies a row
    failed: tuple[str, ...]  # listed first
    warning: tuple[str, ...]
    passed: tuple[str, ...]


def cli_status(ctx: Context, find: Resolver, at: Pointer, x: Any, op: Operation, own_options: frozenset[str],
               seen: list[Pointer]) -> CliStatus | None:
    """x-cli.status of one operation; `own_options` are the command's own flags, `seen` the other declarations."""
    if not isinstance(x, dict):
        return None
    at = (*at, "x-cli", "status")
    if seen:
        ctx.fail(at, "only one operation may declare x-cli.status (the status command shows one operation)")
    seen.append(at)
    pagination = op.pagination
    waiter = next((w for w in op.waiters if w.name == x["waiter"]), None)
    if waiter is None:
        ctx.fail((*at, "waiter"), f"names waiter {x['waiter']!r}, which x-waiters of this operation does not "
                 "declare", "waiters declared: " + (", ".join(w.name for w in op.waiters) or "none"))
    if pagination is None:
        ctx.fail(at, "the status command needs x-pagination on the operation (it names the items)")
    paging = set(pagination.params) if pagination else set()
    params = list(op.parameters)
    options: list[CliOption] = []
    for flag, o in x["options"].items():
        oat = (*at, "options", flag)
        if flag in own_options:
            ctx.fail(oat, f"option --{flag} is one of the command's own", "taken: " + ", ".join(sorted(own_options)))
        if o["param"] in paging:
            ctx.fail((*oat, "param"), f"{o['param']!r} is a paging parameter: the command fetches every page")
            continue
        param = find.param(params, o["param"], (*oat, "param"), None)
        if param is not None:
            options.append(CliOption(flag, param, o.get("default"), o.get("help", "") or param.description))
    mapped = {o.param.wire for o in options}
    for p in params:
        if p.required and p.wire not in mapped and p.wire not in paging:
            ctx.fail((*at, "options"), f"required request parameter {p.wire!r} has no option",
                     "map it: `some-flag: {param: " + p.wire + "}`")
    item = find.models.get(pagination.item_model) if pagination else None
    columns = []
    for i, c in enumerate(x["columns"]):
        find.field(item, c["field"], (*at, "columns", i, "field"), "any", "item field")
        columns.append(CliColumn(c["field"], c["title"], c.get("max_width")))
    outcome = x["outcome"]
    find.field(item, outcome["field"], (*at, "outcome", "field"), "any", "item field")
    if waiter is None or pagination is None:
        return None
    info = as_dict(ctx.data.get("info"))
    return CliStatus(
        help=x.get("help", "") or str(info.get("summary", "")), waiter=waiter, options=tuple(options),
        columns=tuple(columns), outcome_field=outcome["field"], failed=tuple(outcome["failed"]),
        warning=tuple(outcome.get("warning", ())), passed=tuple(outcome.get("passed", ())),
    )
