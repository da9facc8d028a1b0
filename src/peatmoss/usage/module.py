"""Facts about one parsed Python module: imports, assignments, scopes, CLI option defaults."""

from __future__ import annotations

import ast
import re
from collections import deque
from dataclasses import dataclass, field

Assign = tuple[int, ast.expr]  # (line, value expression)

CLI_CALLS = {"add_argument", "add_option"}
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # lines with their ends, as ast splits them
ABSL_DEFINES = ("DEFINE_string", "DEFINE_enum", "DEFINE_multi_string")


class Scope:
    """A function (or the module): assignments by name and parameter defaults, computed on first use."""

    def __init__(self, node: ast.AST):
        self.node = node
        self._assigns: dict[str, list[Assign]] | None = None
        self.blocks: dict[int, tuple] = {}  # id(assigned value) -> enclosing statement lists
        self._defaults: dict[str, ast.expr | None] = {}
        self._cli_params: dict[str, ast.expr] = {}  # click option defaults
        self.cli_args: set[str] = set()  # parameters that are command-line options (typer/click commands)
        self.cli_flags: dict[str, tuple[str, ...]] = {}  # click option parameter -> its flags (`-b`, `--bert`)

    def _fill(self) -> None:
        self._assigns = {}
        node = self.node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            _function_facts(self, node)
            _collect_scope(self, node.body)
        else:
            _collect_scope(self, getattr(node, "body", []))

    @property
    def assigns(self) -> dict[str, list[Assign]]:
        if self._assigns is None:
            self._fill()
        return self._assigns

    @property
    def defaults(self) -> dict[str, ast.expr | None]:
        if self._assigns is None:
            self._fill()
        return self._defaults

    @property
    def cli_params(self) -> dict[str, ast.expr]:
        if self._assigns is None:
            self._fill()
        return self._cli_params


class ClassInfo:
    """A class: its node, and its attributes (class-level and `self.x`) with the method that sets each `self.x`.
    The attributes of a class of a parsed module are collected on first use (`lazy`); a ClassInfo made for any
    other class node has none."""

    def __init__(self, node: ast.ClassDef, lazy: bool = False):
        self.node = node
        self._attrs: dict[str, list[Assign]] | None = None if lazy else {}
        self._owners: dict[int, ast.AST] = {}  # id(value) of a self.x value -> its method

    @property
    def attrs(self) -> dict[str, list[Assign]]:
        if self._attrs is None:
            self._attrs = {}
            _class_attrs(self)
        return self._attrs

    @property
    def owners(self) -> dict[int, ast.AST]:
        self.attrs  # noqa: B018 -- fills both tables
        return self._owners


@dataclass
class ModuleInfo:
    name: str  # dotted module name from the repo path
    path: str
    tree: ast.Module
    source: str
    imports: dict[str, str] = field(default_factory=dict)  # local alias -> qualified name
    scope: Scope | None = None
    functions: dict[ast.AST, Scope] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    cli_defaults: dict[str, ast.expr] = field(default_factory=dict)  # argparse/absl dest -> default
    uses_fire: bool = False
    star_imports: list[str] = field(default_factory=list)  # modules of `from m import *`
    uses_hf_argparser: bool = False
    cli_choices: dict[str, ast.expr] = field(default_factory=dict)  # argparse dest -> `choices=` expression
    cli_flags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # argparse dest -> its option strings
    cli_from_config: bool = False  # `parser.set_defaults(**config)`: option defaults come from a config file
    call_sites: dict | None = None  # callee last name -> calls.Site list (calls.sites fills it on first use)
    released: bool = False  # dropped by the Repo's module cache: call sites are no longer kept on it
    _lines: list[str] | None = None

    def segment(self, node: ast.AST) -> str | None:
        """`ast.get_source_segment(self.source, node)`, with the source split into lines once per module."""
        end, end_col = getattr(node, "end_lineno", None), getattr(node, "end_col_offset", None)
        if end is None or end_col is None or not hasattr(node, "lineno"):
            return None
        if self._lines is None:
            self._lines = _LINE.findall(self.source)
        lines, first, col = self._lines, node.lineno - 1, node.col_offset
        if not 0 <= first <= end - 1 < len(lines):
            return None
        if first == end - 1:
            return lines[first].encode()[col:end_col].decode()
        return "".join([lines[first].encode()[col:].decode(), *lines[first + 1:end - 1],
                        lines[end - 1].encode()[:end_col].decode()])


def _add(table: dict[str, list[Assign]], name: str, line: int, value: ast.expr) -> None:
    table.setdefault(name, []).append((line, value))


def _targets(target: ast.expr, value: ast.expr, line: int, table: dict[str, list[Assign]]) -> None:
    if isinstance(target, ast.Name):
        _add(table, target.id, line, value)
    elif isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)) \
            and len(target.elts) == len(value.elts):
        for t, v in zip(target.elts, value.elts):
            _targets(t, v, line, table)


def resolve_relative(module: str, level: int, name: str | None, is_package: bool) -> str:
    """Absolute dotted name of a relative import seen in `module`."""
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)] if level - 1 <= len(parts) else []
    return ".".join(parts + ([name] if name else []))


_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


def _collect_scope(scope: Scope, body_nodes) -> None:
    """Assignments and for-loop targets directly in this scope (not in nested functions/classes).

    Each assigned value also gets its chain of enclosing statement lists (scope.blocks), so a later
    assignment in the same or an enclosing list can hide an earlier one (straight-line code)."""
    table, blocks = scope._assigns, scope.blocks
    stack = [(node, (id(body_nodes),)) for node in body_nodes]

    def add(name: str, line: int, value: ast.expr, chain: tuple | None) -> None:
        _add(table, name, line, value)
        if chain is not None:
            blocks[id(value)] = chain

    while stack:
        node, chain = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Assign):
            for t in node.targets:
                pairs: dict[str, list] = {}
                _targets(t, node.value, node.lineno, pairs)
                for name, items in pairs.items():
                    for line, value in items:
                        add(name, line, value, chain)
        elif isinstance(node, ast.AnnAssign) and node.value is not None and isinstance(node.target, ast.Name):
            add(node.target.id, node.lineno, node.value, chain)
        elif isinstance(node, ast.NamedExpr):
            add(node.target.id, node.lineno, node.value, None)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:  # `with open(path, "rb") as f: torch.load(f)`: the file stands for its path
                call = item.context_expr
                if isinstance(item.optional_vars, ast.Name) and isinstance(call, ast.Call) and call.args \
                        and _is_open(call.func):
                    add(item.optional_vars.id, node.lineno, call.args[0], chain)
        elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(node.target, ast.Name):
            line = getattr(node, "lineno", getattr(node.iter, "lineno", 0))
            if isinstance(node.iter, (ast.List, ast.Tuple, ast.Set)):
                for elt in node.iter.elts:
                    add(node.target.id, line, elt, None)  # alternatives, none hides another
            else:  # `for name in NAMES`: Starred stands for "any element of" in the resolver
                add(node.target.id, line, ast.Starred(value=node.iter), None)
        for name, value in ast.iter_fields(node):
            if name in _BODIES and isinstance(value, list):
                inner = chain + (id(value),)
                stack.extend((c, inner) for c in value if isinstance(c, ast.AST))
            elif isinstance(value, list):
                stack.extend((c, chain) for c in value if isinstance(c, ast.AST))
            elif isinstance(value, ast.AST):
                stack.append((value, chain))


def _is_open(func: ast.expr) -> bool:
    return (isinstance(func, ast.Name) and func.id == "open") or (
        isinstance(func, ast.Attribute) and func.attr == "open" and isinstance(func.value, ast.Name)
        and func.value.id == "io")


def _function_facts(scope: Scope, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    args = fn.args
    positional = args.posonlyargs + args.args
    for arg in positional:
        scope._defaults[arg.arg] = None
    for arg, default in zip(positional[len(positional) - len(args.defaults):], args.defaults):
        scope._defaults[arg.arg] = default
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        scope._defaults[arg.arg] = default
    for arg in positional + args.kwonlyargs:  # typer: name: Annotated[str, typer.Option()] = "default"
        if arg.annotation is not None and re.search(r"\b(Option|Argument)\(", ast.unparse(arg.annotation)):
            scope.cli_args.add(arg.arg)
    for deco in fn.decorator_list:  # typer/click command: every parameter is a command-line option
        target = deco.func if isinstance(deco, ast.Call) else deco
        if isinstance(target, ast.Attribute) and target.attr in ("command", "callback"):
            scope.cli_args.update(scope._defaults)
    for deco in fn.decorator_list:  # click: @click.option("--model-name", default="...")
        if isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) \
                and deco.func.attr in ("option", "argument"):
            default = next((k.value for k in deco.keywords if k.arg == "default"), None)
            names = [a.value for a in deco.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
            if names:
                params = [n for n in names if not n.startswith("-")]
                dest = params[0] if params else max(names, key=len).lstrip("-").replace("-", "_")
                scope.cli_flags[dest] = tuple(n for n in names if n.startswith("-"))
                if default is not None:
                    scope._cli_params[dest] = default


def _cli_default(call: ast.Call, facts: ModuleInfo) -> None:
    func = call.func
    attr = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    kw = {k.arg: k.value for k in call.keywords if k.arg}
    strs = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if attr in CLI_CALLS and strs:
        dest = kw["dest"].value if isinstance(kw.get("dest"), ast.Constant) else None
        if dest is None:
            longs = [s for s in strs if s.startswith("--")]
            dest = (longs[0] if longs else strs[0]).lstrip("-").replace("-", "_")
        facts.cli_flags.setdefault(dest, tuple(strs))
        if "default" not in kw and "choices" not in kw:
            return
        if "default" in kw:
            facts.cli_defaults.setdefault(dest, kw["default"])
        if "choices" in kw:
            facts.cli_choices.setdefault(dest, kw["choices"])
    elif attr.startswith("DEFINE_") and strs:
        default = kw.get("default", call.args[1] if len(call.args) > 1 else None)
        if default is not None:
            facts.cli_defaults.setdefault(strs[0], default)
    elif attr == "set_defaults" and any(k.arg is None for k in call.keywords):
        facts.cli_from_config = True
    elif attr == "Fire":
        facts.uses_fire = True
    elif attr == "HfArgumentParser":
        facts.uses_hf_argparser = True


def _class_attrs(info: ClassInfo) -> None:
    node, attrs = info.node, info._attrs
    for stmt in node.body:
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                _targets(t, stmt.value, stmt.lineno, attrs)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None and isinstance(stmt.target, ast.Name):
            _add(attrs, stmt.target.id, stmt.lineno, stmt.value)
    for method in node.body:
        if not isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for sub in _statements(method):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id in ("self", "cls"):
                        _add(attrs, t.attr, sub.lineno, sub.value)
                        info._owners[id(sub.value)] = method


def _statements(tree: ast.AST):
    """The statements under `tree` (and it), in `ast.walk` order, without walking into expressions: every
    statement sits in a statement list (`body`, `orelse`, `finalbody`, `handlers`, `cases`)."""
    queue = deque([tree])
    while queue:
        node = queue.popleft()
        yield node
        for name in node._fields:
            value = getattr(node, name) if name in _BODIES else None
            if isinstance(value, list):
                queue.extend(c for c in value if isinstance(c, ast.AST))


# Names a CLI-option call is spelled with: a module without any of them has no CLI facts to collect.
_CLI_WORDS = tuple(CLI_CALLS) + ("DEFINE_", "Fire", "HfArgumentParser")


def build_module(tree: ast.Module, name: str, path: str, source: str) -> ModuleInfo:
    """One pass over the module's statements (imports, functions, classes); its calls are walked only when the
    source spells a CLI-option call."""
    facts = ModuleInfo(name=name, path=path, tree=tree, source=source)
    is_package = path.endswith("__init__.py")
    facts.scope = Scope(tree)
    for node in _statements(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    facts.imports[a.asname] = a.name
                else:
                    top = a.name.split(".", 1)[0]
                    facts.imports.setdefault(top, top)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = resolve_relative(name, node.level, node.module, is_package)
            for a in node.names:
                if a.name == "*":
                    facts.star_imports.append(base)
                else:
                    facts.imports[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            facts.functions[node] = Scope(node)
        elif isinstance(node, ast.ClassDef):
            facts.classes.setdefault(node.name, ClassInfo(node, lazy=True))
    if any(word in source for word in _CLI_WORDS):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                _cli_default(node, facts)
    return facts
