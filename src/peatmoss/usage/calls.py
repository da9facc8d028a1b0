"""Call sites of a module's functions and classes: where a parameter's value comes from."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from .module import ClassInfo, ModuleInfo, Scope

PARTIAL = ("partial", "functools.partial")


@dataclass
class Site:
    """One call of a named callable, with the scopes to resolve its arguments in."""

    mod: ModuleInfo
    call: ast.Call
    scopes: list[Scope]  # innermost first, module scope last
    cls: ClassInfo | None
    skip: int = 0  # leading positional arguments that are not the callee's (functools.partial's function)

    @property
    def func(self) -> ast.expr:
        return self.call.args[0] if self.skip else self.call.func

    def argument(self, name: str, index: int | None) -> ast.expr | None:
        """The expression passed for parameter `name` (positional `index`), or None when not passed."""
        for k in self.call.keywords:
            if k.arg == name:
                return k.value
        args = self.call.args[self.skip:]
        if index is None or any(isinstance(a, ast.Starred) for a in args[: index + 1]):
            return None
        return args[index] if index < len(args) else None


def _name(func: ast.expr) -> str | None:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None


def sites(mod: ModuleInfo) -> dict[str, list[Site]]:
    """Every call of the module by the callee's last name (`f(...)`, `x.f(...)`, `partial(f, ...)`); computed
    once per module."""
    if mod.call_sites is not None:
        return mod.call_sites
    table: dict[str, list[Site]] = {}

    def walk(node: ast.AST, scopes: list[Scope], cls: ClassInfo | None) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for d in child.decorator_list + child.args.defaults:
                    walk_expr(d, scopes, cls)
                walk(child, [mod.functions.get(child) or Scope(child)] + scopes, cls)
            elif isinstance(child, ast.ClassDef):
                info = mod.classes.get(child.name)
                walk(child, scopes, info if info is not None and info.node is child else None)
            else:
                if isinstance(child, ast.Call):
                    record(child, scopes, cls)
                walk(child, scopes, cls)

    def walk_expr(expr: ast.AST, scopes: list[Scope], cls: ClassInfo | None) -> None:
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Call):
                record(sub, scopes, cls)

    def record(call: ast.Call, scopes: list[Scope], cls: ClassInfo | None) -> None:
        head = _name(call.func)
        skip = 0
        if head == "partial" and call.args:
            head, skip = _name(call.args[0]), 1
        if head:
            table.setdefault(head, []).append(Site(mod, call, scopes, cls, skip))
        elif isinstance(call.func, ast.Subscript) and isinstance(call.func.value, ast.Name):
            # `registry[kind](...)`: a call of a function picked from a table, under "[]" + the table's name
            table.setdefault("[]" + call.func.value.id, []).append(Site(mod, call, scopes, cls))

    walk(mod.tree, [mod.scope], None)
    walk = walk_expr = record = None  # the closures refer to each other: a cycle that holds `mod` (scans run with the collector off)  # noqa: F841
    if not mod.released:  # a module the cache dropped would keep the cycle for good
        mod.call_sites = table
    return table
