"""Resolve the value of a model-id expression through simple data flow, labelled by how it was found."""

from __future__ import annotations

import ast
import itertools
import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .calls import Site, sites
from .module import ClassInfo, ModuleInfo, Scope

if TYPE_CHECKING:
    from .repo import Repo

WEAK = ("literal", "constant")
MAX_DEPTH = 12
PATH_CALLS = ("os.path.join", "posixpath.join", "pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath")
PATH_SAME = ("resolve", "absolute", "expanduser")  # methods of a path that name the same file
MAX_VALUES = 20
BUDGET = 5000  # expression evaluations per resolved argument (self-referencing reassignments branch)
MODEL_KEYS = frozenset({
    "model_name", "model_id", "pretrained_model_name_or_path", "model_name_or_path", "base_model",
    "base_model_name", "base_model_name_or_path", "base_model_id", "model_checkpoint", "hf_model_name",
    "tokenizer_name", "tokenizer_name_or_path", "pretrained_model", "model_type_or_path",
})
MODEL_LIKE_KEY = re.compile(r"model|ckpt|checkpoint|backbone|encoder|tokenizer|controlnet|embedding|weights|_(dir|path)$|"
                            r"pretrained|vae|lora|adapter", re.I)  # other config keys a load argument may read
# `<architecture>_name` / `_id` keys (`bert_name`, `llm_id`), not those naming data, runs or tasks
NAMED_KEY = re.compile(r"(?!(task|dataset|data|run|project|exp|experiment|wandb|output|log|split|user|file|dir|"
                       r"class|label|metric|device|col|column|field|table|index|collection|db|bucket|host)_)"
                       r"[a-z][a-z0-9]*_(name|id)", re.I)
GENERIC_KEYS = frozenset({"name", "id", "path", "name_or_path", "repo", "repo_id", "checkpoint", "pretrained",
                          "hf_name", "hub_id", "model"})  # keys that name a model only under a model-like parent
MODEL_PARENTS = frozenset({"llm", "lm", "embedder", "generator", "reranker", "retriever", "classifier", "detector",
                           "asr", "tts", "whisper", "stt"})
ENV_FUNCS = ("os.environ.get", "os.getenv", "os.environ.setdefault")
CHOICE_CALLS = ("selectbox", "radio", "select_slider", "Dropdown", "Radio", "dropdown")  # UI choice widgets
MAX_SITES = 50  # call sites followed per parameter


@dataclass
class Value:
    values: list[str]  # preferred value first
    kind: str


@dataclass
class Ctx:
    mod: ModuleInfo
    scopes: list[Scope]  # innermost first, module scope last
    cls: ClassInfo | None
    line: int
    depth: int = 0
    budget: list[int] = field(default_factory=lambda: [BUDGET])  # shared by one resolution: steps left
    seen: tuple = ()  # parameters whose call sites are being followed (no cycles)

    def deeper(self, **changes) -> "Ctx":
        fields = dict(mod=self.mod, scopes=self.scopes, cls=self.cls, line=self.line, depth=self.depth + 1,
                      budget=self.budget, seen=self.seen)
        fields.update(changes)
        return Ctx(**fields)


def chain(outer: str, inner: str) -> str:
    """The kind reported for a value reached through `outer` then `inner`: the outermost strong kind."""
    if outer not in WEAK:
        return outer
    if inner not in WEAK:
        return inner
    return "constant" if "constant" in (outer, inner) else "literal"


def _fire_entry(tree: ast.Module, fn: ast.AST) -> bool:
    """`fn` is what a `fire.Fire(...)` call of the module exposes: `Fire(fn)`, `Fire({"x": fn})`, or any top-level
    function for a bare `Fire()`."""
    name = getattr(fn, "name", None)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (dotted(node.func) or "").rsplit(".", 1)[-1] == "Fire":
            if not node.args:
                return fn in tree.body
            target = node.args[0]
            names = [v for v in target.values] if isinstance(target, ast.Dict) else [target]
            if any(isinstance(n, ast.Name) and n.id == name for n in names):
                return True
    return False


def _parent_key(expr: ast.expr) -> str | None:
    """The key one level up: `model` in `cfg["model"]["name"]`, `cfg.model.name`, `cfg["model"].get("name")`."""
    inner = expr.func.value if isinstance(expr, ast.Call) else expr.value
    if isinstance(inner, ast.Attribute):
        return inner.attr
    if isinstance(inner, ast.Subscript) and isinstance(inner.slice, ast.Constant) and isinstance(inner.slice.value, str):
        return inner.slice.value
    return None


def _key_path(expr: ast.expr) -> list[str]:
    """The string keys read in a chain, outermost last: `cfg.get("a", {}).get("b")`, `cfg["a"]["b"]` -> [a, b]."""
    keys: list[str] = []
    while True:
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr == "get" \
                and expr.args and isinstance(expr.args[0], ast.Constant) and isinstance(expr.args[0].value, str):
            keys.append(expr.args[0].value)
            expr = expr.func.value
        elif isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) \
                and isinstance(expr.slice.value, str):
            keys.append(expr.slice.value)
            expr = expr.value
        else:
            return keys[::-1]


def _returns(fn: ast.AST):
    """The `return <value>` statements of a function, not of the functions or classes inside it."""
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            yield node
        elif not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def _empty(expr: ast.expr | None) -> bool:
    """An empty-string literal (a CLI option's placeholder default)."""
    return isinstance(expr, ast.Constant) and expr.value == ""


OPTIONS_CALL = re.compile(r"arg|opt|conf|param|setting|flag", re.I)  # get_args(), parse_opts(), get_config()


def _named(value: Value) -> bool:
    """Some value is not blank (an option's `default=''` names nothing)."""
    return any(v.strip() for v in value.values)


def _dedup(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))[:MAX_VALUES]


def _ordered(assigns, line: int):
    """Assignments before `line` (latest first), then the others."""
    before = sorted((a for a in assigns if a[0] <= line), key=lambda a: -a[0])
    after = [a for a in assigns if a[0] > line]
    return before + after


def _visible(assigns, blocks: dict[int, tuple]):
    """Drop assignments hidden by a later one in the same or an enclosing statement list."""
    kept, killers = [], []
    for at, expr in assigns:  # latest first
        chain = blocks.get(id(expr))
        if chain is not None and any(k in chain for k in killers):
            continue
        kept.append((at, expr))
        if chain is not None:
            killers.append(chain[-1])
    return kept


def call_arg(call: ast.Call, pos: int | None, kw: str | None) -> ast.expr | None:
    """The argument at keyword `kw`, else at position `pos` (not after a *starred argument)."""
    for k in call.keywords:
        if kw and k.arg == kw:
            return k.value
    if pos is not None and len(call.args) > pos and not any(isinstance(a, ast.Starred) for a in call.args[:pos + 1]):
        return call.args[pos]
    return None


def dotted(expr: ast.expr) -> str | None:
    """`a.b.c` for a Name/Attribute chain, else None."""
    parts = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


class Resolver:
    """Evaluates string-valued expressions of one repository without running them."""

    def __init__(self, repo: "Repo") -> None:
        self.repo = repo

    # -- entry -------------------------------------------------------------------------------------
    def resolve(self, expr: ast.expr | None, ctx: Ctx) -> Value | None:
        if expr is None or ctx.depth > MAX_DEPTH or ctx.budget[0] <= 0:
            return None
        ctx.budget[0] -= 1
        method = getattr(self, "_" + type(expr).__name__, None)
        value = method(expr, ctx) if method else None
        if value is None:
            value = self._config_key(expr, ctx)
        return value

    def qualname(self, expr: ast.expr, mod: ModuleInfo) -> str | None:
        return self.repo.qualname(expr, mod)

    # -- node kinds --------------------------------------------------------------------------------
    def _Constant(self, expr: ast.Constant, ctx: Ctx) -> Value | None:
        if isinstance(expr.value, str):
            return Value([expr.value], "literal")
        return None

    def _Name(self, expr: ast.Name, ctx: Ctx) -> Value | None:
        name = expr.id
        for i, scope in enumerate(ctx.scopes):
            is_module = scope is ctx.mod.scope
            if name in scope.assigns and not (i == 0 and not is_module and name in scope.defaults
                                              and not self._bound_before(scope.assigns[name], ctx.line)):
                # a local binding shadows outer ones, even when unresolvable (a parameter until it is re-bound)
                return self._assigns(scope.assigns[name], ctx.deeper(scopes=ctx.scopes[i:]), "constant",
                                     ctx.line if i == 0 else 10**9, flow=True)
            if name in scope.cli_params:
                value = self.resolve(self._typer_default(scope.cli_params[name]), ctx.deeper())
                if value:
                    return Value(value.values, chain("cli_default", value.kind))
            if not is_module and name in scope.defaults:
                passed = self._callers(scope, name, ctx, i)
                if passed:
                    return passed
                default = scope.defaults[name]
                cli = self._typer_default(default) if default is not None else None
                if (default is None or _empty(cli)) and (name in scope.cli_args or (
                        ctx.mod.uses_fire and _fire_entry(ctx.mod.tree, scope.node))):
                    launched = self.repo.launched(ctx.mod.path, name, scope.cli_flags.get(name, ()))  # required option
                    if launched:
                        return Value(launched, "config_file")
                if default is None:
                    return None
                kind = "default_arg"
                if cli is not default or ctx.mod.uses_fire or name in scope.cli_args:
                    kind = "cli_default"
                # defaults are evaluated in the enclosing scopes
                value = self.resolve(cli, ctx.deeper(scopes=ctx.scopes[i + 1:] or [ctx.mod.scope], line=10**9))
                return Value(value.values, chain(kind, value.kind)) if value else None
        if name in ctx.mod.imports:
            return self._imported(ctx.mod.imports[name], ctx)
        return None

    @staticmethod
    def _bound_before(assigns, line: int) -> bool:
        """Some assignment ends before `line` (`x = f(x)` does not bind the `x` it reads)."""
        return any(at <= line and getattr(value, "end_lineno", at) < line for at, value in assigns)

    def _Attribute(self, expr: ast.Attribute, ctx: Ctx) -> Value | None:
        base = expr.value
        if expr.attr in ("name_or_path", "_name_or_path"):  # model.name_or_path: what its from_pretrained was given
            value = self._loaded_from(base.value if isinstance(base, ast.Attribute) and base.attr == "config"
                                      else base, ctx)
            if value:
                return value
        if isinstance(base, ast.Name):
            if base.id in ("self", "cls") and ctx.cls is not None and expr.attr in ctx.cls.attrs:
                value = self._class_attr(ctx.cls, expr.attr, ctx)
                if value:
                    return value
            if base.id in ctx.mod.classes and expr.attr in ctx.mod.classes[base.id].attrs:
                value = self._class_attr(ctx.mod.classes[base.id], expr.attr, ctx)
                if value:
                    return value
            if base.id in ctx.mod.imports:  # module.CONSTANT of a repo module, or Class.attr of a repo class
                value = self._imported(f"{ctx.mod.imports[base.id]}.{expr.attr}", ctx)
                if value:
                    return value
                found = self.repo.split(ctx.mod.imports[base.id])
                if found and len(found[1]) == 1 and found[1][0] in found[0].classes:
                    info = found[0].classes[found[1][0]]
                    if expr.attr in info.attrs:
                        value = self._class_attr(info, expr.attr, ctx.deeper(mod=found[0], scopes=[found[0].scope]))
                        if value:
                            return value
                if found and len(found[1]) == 1 and found[0].scope is not None:  # `from cmdline import args`
                    value = self._parsed_in(found[0], expr.attr, ctx)
                    if value:
                        return value
            found = self._instance_class(base.id, ctx)
            if found is not None and expr.attr in found[0].attrs:
                info, mod = found
                value = self._class_attr(info, expr.attr, ctx.deeper(mod=mod, scopes=[mod.scope]))
                if value and _named(value):  # an empty default ('') leaves the value to config files
                    return value
        if isinstance(base, ast.Name) or (isinstance(base, ast.Call) and not base.args and not base.keywords
                                          and OPTIONS_CALL.search(dotted(base.func) or "")):
            # `args.model`, and `get_args().model` (a function returning the parsed options): the option's default
            default = ctx.mod.cli_defaults.get(expr.attr)
            if (default is None or _empty(default)) and "add_argument" in ctx.mod.source:  # an option with no default
                launched = self.repo.launched(ctx.mod.path, expr.attr, ctx.mod.cli_flags.get(expr.attr, ()))
                if launched:
                    return Value(launched, "config_file")
            if default is not None:
                value = self.resolve(default, ctx.deeper(scopes=[ctx.mod.scope], line=10**9))
                if value and _named(value):
                    return Value(value.values, chain("cli_default", value.kind))
            # another script's option of the same name, unless this module defines the option itself
            found = self.repo.cli_default(expr.attr, ctx.depth) if default is None else None
            if found and _named(found):  # an empty default ('') leaves the value to config files
                return Value(found.values, chain("cli_default", found.kind))
            choices = ctx.mod.cli_choices.get(expr.attr)
            if choices is not None:
                value = self._choices(choices, None, ctx.deeper(scopes=[ctx.mod.scope], line=10**9))
                if value:
                    return value
            fields = self._dataclass_field(expr.attr, ctx)
            if fields:
                return fields
        return None

    def _parsed_in(self, mod: ModuleInfo, attr: str, ctx: Ctx) -> Value | None:
        """`args.x` where `args` is imported from the repo module that parses the command line: that module's
        own option default or argument-dataclass field, before any other script's option of the same name."""
        inner = ctx.deeper(mod=mod, scopes=[mod.scope], line=10**9)
        if attr in mod.cli_defaults:
            value = self.resolve(mod.cli_defaults[attr], inner)
            if value:
                return Value(value.values, chain("cli_default", value.kind))
        return self._dataclass_field(attr, inner)

    def _instance_class(self, name: str, ctx: Ctx) -> tuple[ClassInfo, ModuleInfo] | None:
        """The repo class whose instance a name holds: `config = Settings()` (here or in an imported module,
        pydantic-settings style) or a parameter annotated with the class (`request: EmbeddingRequest`)."""
        for scope in ctx.scopes:
            if name in scope.assigns:
                calls = [v.func for _, v in scope.assigns[name] if isinstance(v, ast.Call)]
                return self._repo_class(calls[0], ctx.mod) if len(calls) == 1 else None
            if scope is not ctx.mod.scope and name in scope.defaults and hasattr(scope.node, "args"):
                fn = scope.node.args
                ann = next((a.annotation for a in fn.posonlyargs + fn.args + fn.kwonlyargs if a.arg == name), None)
                return self._repo_class(ann, ctx.mod) if ann is not None else None
        if name in ctx.mod.imports:  # `from .config import settings` where settings = Settings()
            found = self.repo.split(ctx.mod.imports[name])
            if found and len(found[1]) == 1 and found[0].scope is not None:
                calls = [v.func for _, v in found[0].scope.assigns.get(found[1][0], ()) if isinstance(v, ast.Call)]
                return self._repo_class(calls[0], found[0]) if len(calls) == 1 else None
        return None

    def _repo_class(self, expr: ast.expr, mod: ModuleInfo) -> tuple[ClassInfo, ModuleInfo] | None:
        if not isinstance(expr, ast.Name):
            return None
        if expr.id in mod.classes:
            return mod.classes[expr.id], mod
        if expr.id in mod.imports:
            found = self.repo.split(mod.imports[expr.id])
            if found and len(found[1]) == 1 and found[1][0] in found[0].classes:
                return found[0].classes[found[1][0]], found[0]
        return None

    def _class_attr(self, info: ClassInfo, attr: str, ctx: Ctx) -> Value | None:
        """A class-level value or a `self.x = ...` of any method, resolved in the scope that assigned it."""
        values: list[str] = []
        inner = None
        for at, expr in _ordered(info.attrs[attr], 10**9):
            method = info.owners.get(id(expr))
            if method is not None and method is ctx.scopes[0].node and at >= ctx.line:
                continue  # `self.x = Load(self.x)`: the method's own later binding is not what it reads here
            scopes = [ctx.mod.functions[method], ctx.mod.scope] if method in ctx.mod.functions else [ctx.mod.scope]
            value = self.resolve(expr, ctx.deeper(cls=info, scopes=scopes, line=10**9))
            if value:
                values.extend(value.values)
                inner = inner or value.kind
        return Value(_dedup(values), chain("class_attr", inner)) if values else None

    def _dataclass_field(self, attr: str, ctx: Ctx) -> Value | None:
        """`args.model_name` where a class of the module declares `model_name: str = "..."` (dataclass,
        HfArgumentParser argument classes): class_attr, or cli_default when parsed from the command line."""
        for info, mod in self._field_classes(ctx):
            if attr in info.attrs and any(isinstance(s, ast.AnnAssign) for s in info.node.body):
                value = self._assigns(info.attrs[attr], ctx.deeper(mod=mod, cls=info, scopes=[mod.scope]),
                                      "class_attr", 10**9)
                if value and _named(value):  # an empty default ('') leaves the value to config files
                    kind = "cli_default" if ctx.mod.uses_hf_argparser else "class_attr"
                    return Value(value.values, chain(kind, value.kind))
        return None

    def _field_classes(self, ctx: Ctx):
        """The module's classes, then the repo classes it imports by name (`from arguments import ModelArguments`
        handed to `HfArgumentParser`)."""
        for info in ctx.mod.classes.values():
            yield info, ctx.mod
        for alias, qualified in ctx.mod.imports.items():
            if not alias[:1].isupper():  # a class name, not a module
                continue
            found = self.repo.split(qualified)
            if found and len(found[1]) == 1 and found[1][0] in found[0].classes:
                yield found[0].classes[found[1][0]], found[0]

    def _Subscript(self, expr: ast.Subscript, ctx: Ctx) -> Value | None:
        if dotted(expr.value) == "os.environ":
            return None
        table = self._dict(expr.value, ctx)
        if table is None:
            return None
        key = self.resolve(expr.slice, ctx.deeper())
        return self._lookup(table, key.values if key else None, ctx)

    def _Call(self, expr: ast.Call, ctx: Ctx) -> Value | None:
        func = expr.func
        name = self.qualname(func, ctx.mod) or dotted(func) or ""
        if name in ENV_FUNCS and len(expr.args) >= 2:
            value = self.resolve(expr.args[1], ctx.deeper())
            return Value(value.values, "env_default") if value else None
        if name in ENV_FUNCS:
            default = next((k.value for k in expr.keywords if k.arg == "default"), None)
            value = self.resolve(default, ctx.deeper())
            return Value(value.values, "env_default") if value else None
        if isinstance(func, ast.Attribute):
            if func.attr == "format":
                return self._format_call(expr, ctx)
            if func.attr in PATH_SAME and not expr.args and isinstance(func.value, ast.Call) \
                    and (self.qualname(func.value.func, ctx.mod) or "") in PATH_CALLS:
                return self.resolve(func.value, ctx.deeper())  # Path(p).resolve(): the same file
            if func.attr == "get" and expr.args:
                table = self._dict(func.value, ctx)
                if table is not None:
                    key = self.resolve(expr.args[0], ctx.deeper())
                    found = self._lookup(table, key.values if key else None, ctx)
                    if found is None and len(expr.args) > 1:
                        fallback = self.resolve(expr.args[1], ctx.deeper())
                        return Value(fallback.values, "dict_lookup") if fallback else None
                    return found
        sig = self.repo.catalog.lookup(name) if self.repo.catalog is not None and name else None
        if sig is not None and not sig.fixed_model and sig.normalize != "torch_hub":
            # pipeline(model=AutoModel.from_pretrained("x")) or a variable holding such a model: its id
            inner = call_arg(expr, sig.arg_pos, sig.arg_kw)
            return self.resolve(inner, ctx.deeper()) if inner is not None else None
        if name.rsplit(".", 1)[-1] in CHOICE_CALLS:  # st.selectbox("Model", options, index=i) / gr.Dropdown(choices)
            options = call_arg(expr, 1, "options") or call_arg(expr, None, "choices") or (
                expr.args[0] if name.rsplit(".", 1)[-1] in ("Dropdown", "Radio", "dropdown") and expr.args else None)
            if options is not None:
                return self._choices(options, expr, ctx.deeper())
        if name.rsplit(".", 1)[-1] in ("field", "Field"):  # dataclasses.field(default="..."), pydantic Field("...")
            default = next((k.value for k in expr.keywords if k.arg == "default"), None)
            if default is None and name.rsplit(".", 1)[-1] == "Field" and expr.args:
                default = expr.args[0]
            return self.resolve(default, ctx.deeper())
        if (name == "str" or name in PATH_CALLS) and expr.args:
            parts = [self.resolve(a, ctx.deeper()) for a in expr.args]
            if all(parts):
                sep = "/" if name != "str" else ""
                return Value(self._product(parts, sep.join), "format" if len(parts) > 1 else parts[0].kind)
        return self._returned(func, ctx, expr)

    def _returned(self, func: ast.expr, ctx: Ctx, call: ast.Call | None = None) -> Value | None:
        """`get_model_name()` of a module-level function of the repository: the values its `return`s give (only
        the branch the argument picks when the body tests a parameter against literals, `if name == "a": return`)."""
        found = None
        if isinstance(func, ast.Name) and func.id not in ctx.mod.imports:
            found = (ctx.mod, func.id)
        elif isinstance(func, (ast.Name, ast.Attribute)):
            qualified = self.qualname(func, ctx.mod)
            split = self.repo.split(qualified) if qualified else None
            if split and len(split[1]) == 1:
                found = (split[0], split[1][0])
        if found is None:
            return None
        mod, fname = found
        fn = next((n for n in mod.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and n.name == fname), None)
        if fn is None or fn not in mod.functions:
            return None
        values, kind, scope = [], None, mod.functions[fn]
        rets = list(_returns(fn))
        picked = self._branch(fn, mod, call, ctx) if call is not None else None
        if picked is not None:
            rets = [r for r in rets if r in picked]
        for ret in rets:
            bound = [v for _, v in scope.assigns.get(ret.value.id, ())] if isinstance(ret.value, ast.Name) \
                else [ret.value]
            if any(isinstance(v, ast.Call) and self.repo.catalog is not None
                   and self.repo.catalog.lookup(self.qualname(v.func, mod) or "") for v in bound):
                continue  # the result of a load (a model, a downloaded file's path) is not an id
            value = self.resolve(ret.value, ctx.deeper(mod=mod, scopes=[scope, mod.scope], cls=None, line=ret.lineno))
            if value:
                values += value.values
                kind = kind or value.kind
        return Value(_dedup(values), kind) if values else None

    def _branch(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, mod: ModuleInfo, call: ast.Call, ctx: Ctx) -> list | None:
        """The returns of the `if <param> == "literal":` branches whose literal the call's argument (or the
        parameter's default) can be; None when the body is no such test chain or the argument is unknown."""
        tests: dict[str, list] = {}
        param = None
        for node in fn.body:
            if not isinstance(node, ast.If):
                continue
            t = node.test
            if not (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.Eq)
                    and isinstance(t.left, ast.Name) and isinstance(t.comparators[0], ast.Constant)
                    and isinstance(t.comparators[0].value, str)) or param not in (None, t.left.id):
                return None
            param = t.left.id
            tests[t.comparators[0].value] = [r for stmt in node.body for r in _returns(ast.Module([stmt], []))]
        names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
        if param is None or param not in names:
            return None
        index = names.index(param)
        arg = call_arg(call, index, param)
        if arg is not None:
            value = self.resolve(arg, ctx.deeper())
        else:
            defaults = fn.args.defaults
            at = index - (len(names) - len(defaults))
            if at < 0:
                return None
            value = self.resolve(defaults[at], ctx.deeper(mod=mod, scopes=[mod.scope], cls=None, line=10**9))
        if not value or not any(v in tests for v in value.values):
            return None
        return [r for v in value.values for r in tests.get(v, [])]

    def _JoinedStr(self, expr: ast.JoinedStr, ctx: Ctx) -> Value | None:
        parts = []
        for piece in expr.values:
            if isinstance(piece, ast.FormattedValue):
                if piece.format_spec is not None or piece.conversion not in (-1, 115):
                    return None
                parts.append(self.resolve(piece.value, ctx.deeper()))
            else:
                parts.append(self.resolve(piece, ctx.deeper()))
        if not parts or not all(parts):
            return None
        return Value(self._product(parts, "".join), "format")

    def _BinOp(self, expr: ast.BinOp, ctx: Ctx) -> Value | None:
        if isinstance(expr.op, ast.Add):
            left, right = self.resolve(expr.left, ctx.deeper()), self.resolve(expr.right, ctx.deeper())
            if left and right:
                return Value(self._product([left, right], "".join), "format")
        elif isinstance(expr.op, ast.Div):  # Path("checkpoints") / "run1": strings only divide as paths
            left, right = self.resolve(expr.left, ctx.deeper()), self.resolve(expr.right, ctx.deeper())
            if left and right:
                return Value(self._product([left, right], lambda p: "/".join(x.rstrip("/") for x in p)), "format")
        elif isinstance(expr.op, ast.Mod):
            left = self.resolve(expr.left, ctx.deeper())
            items = expr.right.elts if isinstance(expr.right, ast.Tuple) else [expr.right]
            args = [self.resolve(i, ctx.deeper()) for i in items]
            if left and all(args):
                out = []
                for template in left.values:
                    for combo in itertools.islice(itertools.product(*[a.values for a in args]), MAX_VALUES):
                        try:
                            out.append(template % combo)
                        except (TypeError, ValueError, KeyError):
                            return None
                return Value(_dedup(out), "format")
        return None

    def _List(self, expr: ast.List, ctx: Ctx) -> Value | None:
        """A list of model names (`spacy_streamlit.visualize(["en_core_web_sm"])`): each is a candidate."""
        found = [self.resolve(e, ctx.deeper()) for e in expr.elts]
        if not found or not all(found):
            return None
        return Value(_dedup([x for v in found for x in v.values]), found[0].kind)

    def _IfExp(self, expr: ast.IfExp, ctx: Ctx) -> Value | None:
        return self._either([expr.body, expr.orelse], ctx)

    def _BoolOp(self, expr: ast.BoolOp, ctx: Ctx) -> Value | None:
        if isinstance(expr.op, ast.Or):  # os.environ.get("M") or "default"
            first = expr.values[0]
            value = self._either(expr.values[1:], ctx)
            if value and isinstance(first, ast.Call) and (self.qualname(first.func, ctx.mod) or "") in ENV_FUNCS:
                return Value(value.values, "env_default")
            head = self.resolve(first, ctx.deeper())
            if head and value:
                return Value(_dedup(head.values + value.values), head.kind)
            return head or value
        return None

    def _Starred(self, expr: ast.Starred, ctx: Ctx) -> Value | None:
        """Any element of a sequence (a loop variable over a list, a dict's keys or values)."""
        items = self._sequence(expr.value, ctx)
        if not items:
            return self._passed_items(expr.value, ctx)
        found = [v for v in (self.resolve(e, ctx.deeper(scopes=[ctx.mod.scope], line=10**9)) for e in items) if v]
        if not found:
            return None
        return Value(_dedup([x for v in found for x in v.values]), chain("constant", found[0].kind))

    def _unpacked_kwarg(self, star: ast.expr, name: str, ctx: Ctx) -> ast.expr | None:
        """`f(**conf)`: the expression under key `name` of the literal dict `conf` is, or of every dict in the
        list a loop variable `conf` runs over (as a list of alternatives)."""
        tables = [self._dict(star, ctx)]
        if tables[0] is None and isinstance(star, ast.Name):
            scope = next((sc for sc in ctx.scopes if star.id in sc.assigns), None)
            loops = [v.value for _, v in (scope.assigns[star.id] if scope else ()) if isinstance(v, ast.Starred)]
            tables = [self._dict(e, ctx.deeper()) for it in loops for e in (self._sequence(it, ctx) or [])]
        exprs = [t[name] for t in tables if t and name in t]
        return exprs[0] if len(exprs) == 1 else ast.List(elts=exprs, ctx=ast.Load()) if exprs else None

    def _loaded_from(self, expr: ast.expr, ctx: Ctx) -> Value | None:
        """The id given to the latest `X.from_pretrained(...)` a name is bound to before the current line."""
        if not isinstance(expr, ast.Name):
            return None
        scope = next((sc for sc in ctx.scopes if expr.id in sc.assigns), None)
        for _, value in _ordered(scope.assigns[expr.id], ctx.line) if scope else ():
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) \
                    and value.func.attr == "from_pretrained":
                arg = call_arg(value, 0, "pretrained_model_name_or_path")
                return self.resolve(arg, ctx.deeper(line=value.lineno)) if arg is not None else None
        return None

    def _passed_items(self, expr: ast.expr, ctx: Ctx) -> Value | None:
        """A loop over a parameter (`for name in model_names:`): the elements of the sequences its callers pass."""
        if not isinstance(expr, ast.Name):
            return None
        for i, scope in enumerate(ctx.scopes):
            if expr.id in scope.assigns:
                return None
            if scope is not ctx.mod.scope and expr.id in scope.defaults:
                return self._callers(scope, expr.id, ctx, i, items=True)
        return None

    def _choices(self, options: ast.expr, widget: ast.Call | None, ctx: Ctx) -> Value | None:
        """The values a choice list allows (argparse `choices`, a UI dropdown), the widget's default first."""
        items = self._sequence(options, ctx)
        if not items:
            return None
        found = [v for v in (self.resolve(e, ctx.deeper(scopes=[ctx.mod.scope], line=10**9)) for e in items) if v]
        values = [x for v in found for x in v.values]
        if not values:
            return None
        first = None
        if widget is not None:
            index = call_arg(widget, None, "index")
            default = call_arg(widget, None, "value")
            if isinstance(index, ast.Constant) and isinstance(index.value, int) and 0 <= index.value < len(values):
                first = values[index.value]
            elif default is not None:
                picked = self.resolve(default, ctx.deeper())
                first = picked.values[0] if picked else None
        ordered = _dedup(([first] if first else []) + values)
        return Value(ordered, "choices")

    def _callers(self, scope: Scope, name: str, ctx: Ctx, i: int, items: bool = False) -> Value | None:
        """A parameter's values from the calls of its function (or class, for `__init__`) in this module
        and in the repo modules that import it: argument passed, else the function's own default (`items`:
        the elements of the sequences passed)."""
        fn = scope.node
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or (id(fn), name) in ctx.seen:
            return None
        params = fn.args.posonlyargs + fn.args.args
        index = next((k for k, a in enumerate(params) if a.arg == name), None)
        cls = ctx.cls if ctx.cls is not None and fn in ctx.cls.node.body else None
        method = cls is not None and not any(dotted(d) == "staticmethod" for d in fn.decorator_list)
        if method and index is not None:
            index = index - 1 if index > 0 else None
        callee = cls.node.name if cls is not None and fn.name == "__init__" else fn.name
        found = self._sites(callee, ctx.mod, fn, cls)
        if not found:
            return None
        values: list[str] = []
        inner = None
        seen = ctx.seen + ((id(fn), name),)
        default = scope.defaults.get(name)
        outer = ctx.scopes[i + 1:] or [ctx.mod.scope]
        for site in found[:MAX_SITES]:
            arg = site.argument(name, index)
            where = Ctx(mod=site.mod, scopes=site.scopes, cls=site.cls, line=site.call.lineno,
                        depth=ctx.depth + 1, budget=ctx.budget, seen=seen)
            star = next((k.value for k in site.call.keywords if k.arg is None), None)
            if arg is None and star is not None and not items:
                arg = self._unpacked_kwarg(star, name, where)
            if arg is not None:
                pass
            elif default is not None:
                arg, where = default, ctx.deeper(scopes=outer, line=10**9, seen=seen)
            if arg is None:
                value = None
            elif items:
                elements = self._sequence(arg, where)
                value = self.resolve(ast.List(elts=elements, ctx=ast.Load()), where) if elements else None
            else:
                value = self.resolve(arg, where)
            if value:
                values.extend(value.values)
                inner = inner or value.kind
        return Value(_dedup(values), chain("call_arg", inner)) if values else None

    def _sites(self, callee: str, mod: ModuleInfo, fn: ast.AST, cls: ClassInfo | None) -> list[Site]:
        """Calls of `callee` defined in `mod`: same-module calls by plain name (or `self.m(...)` for a method),
        and calls in other repo modules through an import of `mod`."""
        out = []
        method = cls is not None and callee != cls.node.name
        on_class = method and any(dotted(d) in ("classmethod", "staticmethod") for d in fn.decorator_list)
        for site in sites(mod).get(callee, ()):
            func = site.func
            if method and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                    and func.value.id in ("self", "cls") and site.cls is cls:
                out.append(site)
            elif method and isinstance(func, ast.Attribute) and (self._instance_of(func.value, site, cls.node.name) or (
                    on_class and isinstance(func.value, ast.Name) and func.value.id == cls.node.name)):
                out.append(site)
            elif not method and isinstance(func, ast.Name) and (cls is None or func.id == cls.node.name):
                if cls is None and not any(n is fn for n in mod.functions if getattr(n, "name", None) == callee):
                    continue
                out.append(site)
        if cls is not None and not method:  # `super().__init__(...)` in a subclass of this module
            out += [site for site in sites(mod).get("__init__", ()) if site.cls is not None and site.cls is not cls
                    and isinstance(site.func, ast.Attribute) and isinstance(site.func.value, ast.Call)
                    and dotted(site.func.value.func) == "super"
                    and any(dotted(b) == cls.node.name for b in site.cls.node.bases)]
        if method:
            for path in self._importers(cls.node.name, mod):
                other = self.repo.module_at(path)
                if other is not None and other is not mod and cls.node.name in other.imports:
                    out += [site for site in sites(other).get(callee, ()) if isinstance(site.func, ast.Attribute)
                            and (self._instance_of(site.func.value, site, cls.node.name) or (
                                on_class and isinstance(site.func.value, ast.Name)
                                and site.func.value.id == cls.node.name))]
            return out
        if cls is None:
            out += self._table_sites(callee, mod)
        for path in self._importers(callee, mod):
            other = self.repo.module_at(path)
            if other is None or other is mod:
                continue
            for site in sites(other).get(callee, ()):
                func = site.func
                target = other.imports.get(func.id) if isinstance(func, ast.Name) else None
                if isinstance(func, ast.Attribute):
                    base = dotted(func.value)
                    target = f"{other.imports.get(base, base)}.{func.attr}" if base else None
                if target and target.rsplit(".", 1)[-1] == callee and mod.path in (
                        self.repo.find_module(target.rsplit(".", 1)[0]),
                        self.repo.find_module(self.repo.reexport(target).rsplit(".", 1)[0])):  # `from pkg import f`
                    out.append(site)
        return out

    def _table_sites(self, callee: str, mod: ModuleInfo) -> list[Site]:
        """Calls `TABLE[key](...)` of a module-level dict that holds the function (`registry = {"h": build_h}`),
        in this module and in the repo modules that import the table."""
        out = []
        for table, assigns in mod.scope.assigns.items():
            if not any(isinstance(v, ast.Dict) and any(isinstance(x, ast.Name) and x.id == callee for x in v.values)
                       for _, v in assigns):
                continue
            out += sites(mod).get("[]" + table, [])
            for path in self._importers(table, mod):
                other = self.repo.module_at(path)
                if other is None or other is mod:
                    continue
                for site in sites(other).get("[]" + table, ()):
                    name = site.call.func.value.id
                    target = other.imports.get(name)
                    if target and target.rsplit(".", 1)[-1] == table and mod.path in (
                            self.repo.find_module(target.rsplit(".", 1)[0]),
                            self.repo.find_module(self.repo.reexport(target).rsplit(".", 1)[0])):
                        out.append(site)
        return out

    @staticmethod
    def _instance_of(receiver: ast.expr, site: Site, class_name: str) -> bool:
        """`x` in `x.method(...)` is bound, in the site's scopes, only to instances `ClassName(...)`."""
        if not isinstance(receiver, ast.Name):
            return False
        for scope in site.scopes:
            if receiver.id in scope.assigns:
                values = [v for _, v in scope.assigns[receiver.id]]
                return bool(values) and all(isinstance(v, ast.Call) and dotted(v.func) is not None
                                            and dotted(v.func).rsplit(".", 1)[-1] == class_name for v in values)
        return False

    def _importers(self, name: str, mod: ModuleInfo) -> list[str]:
        """Repo python files that mention `name` and the last segment of `mod`'s name (a cheap text test)."""
        parts = mod.name.split(".")
        found = self.repo.mentioning(name, parts[-1], mod.path)
        if len(parts) > 1:  # imported from the package that re-exports it (`from pkg import f`)
            found += [p for p in self.repo.mentioning(name, parts[-2], mod.path) if p not in found]
        return found

    def _sequence(self, expr: ast.expr, ctx: Ctx) -> list[ast.expr] | None:
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return list(expr.elts)
        if isinstance(expr, ast.Call) and dotted(expr.func) in ("list", "tuple", "sorted") and len(expr.args) == 1:
            return self._sequence(expr.args[0], ctx) if ctx.depth < MAX_DEPTH else None
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("keys", "values"):
            table = self._dict(expr.func.value, ctx)
            if table is None:
                return None
            return list(table.values()) if expr.func.attr == "values" else [ast.Constant(k) for k in table]
        if isinstance(expr, ast.Name) and ctx.depth < MAX_DEPTH:
            for scope in ctx.scopes:
                if expr.id in scope.assigns:
                    for _, value in _ordered(scope.assigns[expr.id], ctx.line):
                        if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
                            return list(value.elts)
                    return None
        return None

    def _NamedExpr(self, expr: ast.NamedExpr, ctx: Ctx) -> Value | None:
        return self.resolve(expr.value, ctx.deeper())

    # -- helpers -----------------------------------------------------------------------------------
    def _either(self, exprs, ctx: Ctx) -> Value | None:
        found = [v for v in (self.resolve(e, ctx.deeper()) for e in exprs) if v]
        if not found:
            return None
        return Value(_dedup([x for v in found for x in v.values]), found[0].kind)

    def _assigns(self, assigns, ctx: Ctx, kind: str, line: int, flow: bool = False) -> Value | None:
        """Values of a name's assignments, latest before `line` first. With flow (the assignments belong
        to ctx.scopes[0]), only assignments before the line count when there are any, and each value is
        evaluated as of its own line, so `s = s + "x"` sees the earlier `s`."""
        values: list[str] = []
        inner = None
        ordered = _ordered(assigns, line)
        if flow:
            ordered = _visible([a for a in ordered if a[0] <= line] or ordered, ctx.scopes[0].blocks)
        for at, expr in ordered:
            value = self.resolve(expr, ctx.deeper(line=at - 1) if flow else ctx.deeper())
            if value:
                values.extend(value.values)
                inner = inner or value.kind
        if not values:
            return None
        return Value(_dedup(values), chain(kind, inner))

    def _imported(self, qualified: str, ctx: Ctx) -> Value | None:
        found = self.repo.constant(qualified, ctx.depth + 1)
        if found is None:
            return None
        return Value(found.values, chain("imported_constant", found.kind))

    @staticmethod
    def _typer_default(expr: ast.expr) -> ast.expr:
        """`typer.Option("x")` / `typer.Argument("x")` / `Option(default="x")` -> the default expression."""
        if isinstance(expr, ast.Call):
            func = dotted(expr.func) or ""
            if func.rsplit(".", 1)[-1] in ("Option", "Argument"):
                for k in expr.keywords:
                    if k.arg == "default":
                        return k.value
                if expr.args and not (isinstance(expr.args[0], ast.Constant) and expr.args[0].value is Ellipsis):
                    return expr.args[0]
        return expr

    def _dict(self, expr: ast.expr, ctx: Ctx) -> dict | None:
        """The literal dict an expression refers to: {key: value-expression}."""
        if isinstance(expr, ast.Dict):
            out = {}
            for k, v in zip(expr.keys, expr.values):
                if isinstance(k, ast.Constant) and isinstance(k.value, str):
                    out[k.value] = v
            return out
        if isinstance(expr, ast.Call) and dotted(expr.func) == "dict":
            return {k.arg: k.value for k in expr.keywords if k.arg}
        if isinstance(expr, ast.Subscript) and ctx.depth < MAX_DEPTH:
            return self._inner_dict(expr, ctx)
        if isinstance(expr, ast.Name):
            for scope in ctx.scopes:
                if expr.id in scope.assigns:
                    for _, value in _ordered(scope.assigns[expr.id], ctx.line):
                        table = self._dict(value, ctx.deeper()) if ctx.depth < MAX_DEPTH else None
                        if table is not None:
                            return table
                    return None
            if expr.id in ctx.mod.imports:
                return self.repo.constant_dict(ctx.mod.imports[expr.id], ctx.depth + 1)
        return None

    def _inner_dict(self, expr: ast.Subscript, ctx: Ctx) -> dict | None:
        """`TABLE[name]` of a literal dict of dicts: the inner dict the key picks, or, for a key not known
        statically, every inner dict merged (a key's values become a candidate list)."""
        outer = self._dict(expr.value, ctx.deeper())
        if not outer:
            return None
        key = self.resolve(expr.slice, ctx.deeper())
        picked = [outer[k] for k in key.values if k in outer] if key else list(outer.values())
        merged: dict[str, list[ast.expr]] = {}
        for value in picked:
            inner = self._dict(value, ctx.deeper()) if isinstance(value, ast.Dict) else None
            for k, v in (inner or {}).items():
                merged.setdefault(k, []).append(v)
        return {k: v[0] if len(v) == 1 else ast.List(elts=v, ctx=ast.Load()) for k, v in merged.items()} or None

    def _lookup(self, table: dict, keys: list[str] | None, ctx: Ctx) -> Value | None:
        chosen = [table[k] for k in keys if k in table] if keys else list(table.values())
        values: list[str] = []
        for expr in chosen:
            value = self.resolve(expr, ctx.deeper(scopes=[ctx.mod.scope], line=10**9))
            if value:
                values.extend(value.values)
        return Value(_dedup(values), "dict_lookup") if values else None

    def _format_call(self, expr: ast.Call, ctx: Ctx) -> Value | None:
        template = self.resolve(expr.func.value, ctx.deeper())
        args = [self.resolve(a, ctx.deeper()) for a in expr.args]
        kwargs = {k.arg: self.resolve(k.value, ctx.deeper()) for k in expr.keywords if k.arg}
        if not template or not all(args) or not all(kwargs.values()) or len(expr.keywords) != len(kwargs):
            return None
        try:
            out = [t.format(*[a.values[0] for a in args], **{k: v.values[0] for k, v in kwargs.items()})
                   for t in template.values]
        except (IndexError, KeyError, ValueError):
            return None
        return Value(_dedup(out), "format")

    def _config_key(self, expr: ast.expr, ctx: Ctx) -> Value | None:
        env = self._env_name(expr, ctx)
        if env is not None:  # os.environ["MODEL_ID"], os.getenv("MODEL_ID"): launch-file variables and configs
            if env.lower() not in MODEL_KEYS and not MODEL_LIKE_KEY.search(env):
                return None
            values = self.repo.env_values(env)
            return Value(values, "config_file") if values else None
        key = None
        if isinstance(expr, ast.Attribute):
            key = expr.attr
        elif isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant):
            key = expr.slice.value
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and expr.func.attr in ("get", "getenv") \
                and expr.args and isinstance(expr.args[0], ast.Constant):
            key = expr.args[0].value
        if not isinstance(key, str):
            return None
        hydra = self._hydra_value(expr, ctx)
        if hydra:
            return hydra
        path = _key_path(expr)
        if len(path) > 1 and (key.lower() in MODEL_KEYS or MODEL_LIKE_KEY.search(key)):
            values = self.repo.config_path_values(tuple(k.lower() for k in path))
            if values:  # the whole key path is in a config file: only the values found there
                return Value(values, "config_file")
        if key.lower() in GENERIC_KEYS:  # cfg["model"]["name"], cfg.llm.id: the key under a model-like parent
            parent = _parent_key(expr)
            if parent is not None and (MODEL_LIKE_KEY.search(parent) or parent.lower() in MODEL_PARENTS):
                values = self.repo.config_child_values(parent.lower(), key.lower())
                if values:
                    return Value(values, "config_file")
        if key.lower() not in MODEL_KEYS and not MODEL_LIKE_KEY.search(key) and not NAMED_KEY.fullmatch(key):
            return None
        values = self.repo.config_values(key.lower())
        return Value(values, "config_file") if values else None

    def _hydra_value(self, expr: ast.expr, ctx: Ctx) -> Value | None:
        """`cfg.model.name` in a `@hydra.main(config_path=..., config_name=...)` function whose parameter is `cfg`:
        the value at that key path of the named config file."""
        keys: list[str] = []
        while isinstance(expr, ast.Attribute) or (isinstance(expr, ast.Subscript) and isinstance(
                expr.slice, ast.Constant) and isinstance(expr.slice.value, str)):
            keys.append(expr.attr if isinstance(expr, ast.Attribute) else expr.slice.value)
            expr = expr.value
        fn = ctx.scopes[0].node if ctx.scopes else None
        if not keys or not isinstance(expr, ast.Name) or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                or expr.id not in [a.arg for a in fn.args.args]:
            return None
        for deco in fn.decorator_list:
            if isinstance(deco, ast.Call) and self.qualname(deco.func, ctx.mod) == "hydra.main":
                where = {k.arg: k.value.value for k in deco.keywords
                         if isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
                if "config_name" in where:
                    name = where["config_name"]
                    file = posixpath.normpath(posixpath.join(posixpath.dirname(ctx.mod.path), where.get(
                        "config_path", "."), name if name.endswith((".yaml", ".yml")) else name + ".yaml"))
                    found = self.repo.config_file_value(file, tuple(keys[::-1]))
                    return Value([found], "config_file") if found else None
        return None

    def _env_name(self, expr: ast.expr, ctx: Ctx) -> str | None:
        """The variable name of an environment read (`os.environ["X"]`, `os.getenv("X")`), else None."""
        if isinstance(expr, ast.Subscript) and dotted(expr.value) == "os.environ":
            key = expr.slice
        elif isinstance(expr, ast.Call) and expr.args and (self.qualname(expr.func, ctx.mod) or "") in ENV_FUNCS:
            key = expr.args[0]
        else:
            return None
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None

    @staticmethod
    def _product(parts: list[Value], join) -> list[str]:
        combos = itertools.islice(itertools.product(*[p.values for p in parts]), MAX_VALUES)
        return _dedup([join(c) for c in combos])
