"""Find model loads in one parsed module and build their findings."""

from __future__ import annotations

import ast
import builtins
import dataclasses
import re
from fnmatch import fnmatchcase
from typing import Callable

from .catalog import Catalog, Signature
from .model import Finding
from .module import ClassInfo, ModuleInfo, Scope
from .normalize import is_local_path, normalize, torch_hub
from .repo import Repo
from .resolve import Ctx, Value, call_arg, chain
from .reuse import call_mode, choose, dotted, evidence

Locate = Callable[[int], tuple[int | None, int]]  # module line -> (cell, line in cell)

CONFIDENCE = {"literal": 1.0, "constant": 0.95, "imported_constant": 0.9, "class_attr": 0.9, "default_arg": 0.85,
              "dict_lookup": 0.85, "format": 0.85, "call_arg": 0.8, "cli_default": 0.8, "choices": 0.6, "env_default": 0.8, "task_default": 0.75,
              "config_file": 0.6, "token_scan": 0.5, "dynamic": 0.3}
MAX_TEXT = 300
YOLO_CHECKOUT = "models.experimental.attempt_load"  # YOLOv5/v7 code imported from a checkout put on sys.path
# transformers class names (`AutoTokenizer`, `BertForSequenceClassification`, `T5Model`, `GPT2TokenizerFast`)
HF_CLASS = re.compile(r"(Auto|TF|Flax)?[A-Z][A-Za-z0-9]*(For[A-Z]\w+|Model|LMHeadModel|Tokenizer|TokenizerFast|Config|"
                      r"Processor|FeatureExtractor|ImageProcessor)")
_OBJECT_ARG = ("trl.from_pretrained", "bertopic.BERTopic")  # calls that also take an already loaded model object
OFF_FLAGS = ("pretrained", "weights")
CHECKPOINT_EXT = (".pt", ".pth", ".ckpt", ".bin", ".safetensors", ".h5", ".keras", ".tar", ".pkl")
WEIGHTS_HINT = re.compile(r"ckpt|checkpoint|state_dict|weight|model|pretrain|\bnet\b|_net|encoder|backbone", re.I)
NOT_WEIGHTS = re.compile(r"optim|sched|scaler", re.I)
# a file whose name ends in a data word (`dataset.pt`, `train_data.pth`, `embeddings.pt`; not `data_model.pt`)
DATA_FILE = re.compile(r"(^|[_\-])(datasets?|data|embeddings|labels|vocab|splits?|centroids?|features|feats|stats|"
                       r"statistics|index|indices|indexes|clusters)(\.|$)", re.I)
HUB_HELPERS = re.compile(r"(^|_)(utils?|processing|transforms?)$")  # torch.hub entries that return helper code
HF_HUBCONF = ("huggingface/pytorch-transformers", "huggingface/transformers")  # hubconf entries take a Hub id
# first path segment of an id-shaped value that names a training output folder, not a Hub owner
# a name that holds a folder (`adapter_dir`, `self.ckpt_folder`)
PATH_NAME = re.compile(r"(dir|directory|folder)$", re.I)  # `*path` too often holds Hub ids (`base_model_path`)
LOCAL_ROOT = re.compile(r"^(outputs?|outs?|checkpoints?|ckpts?|results?|runs|saved?_models?|saves?|weights|artifacts|"
                        r"experiments?|exps?|logs|tmp|trained_models?|finetuned(_models?)?|models?)([_-]\w+)?$", re.I)


def _is_off(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value in (False, None, 0, "")


def _weights_off(call: ast.Call) -> bool:
    """`pretrained=False` / `weights=None`: the architecture only, no pre-trained weights."""
    return any(k.arg in OFF_FLAGS and _is_off(k.value) for k in call.keywords)


def _first_str(expr: ast.expr | None) -> str | None:
    return expr.value if isinstance(expr, ast.Constant) and isinstance(expr.value, str) else None


class ModuleAnalyzer(ast.NodeVisitor):
    """Walks one module with a scope stack and records a Finding per catalog match."""

    def __init__(self, mod: ModuleInfo, repo: Repo, catalog: Catalog, file: str, locate: Locate):
        self.mod, self.repo, self.catalog, self.file, self.locate = mod, repo, catalog, file, locate
        self.scopes: list[Scope] = [mod.scope]
        self.classes: list[ClassInfo | None] = [None]
        self.findings: list[Finding] = []
        self.nodes: list[ast.expr] = []  # the call/attribute node of each finding
        self._parents: dict | None = None  # child -> parent node, built when a torch.load needs it
        self.roots = catalog.root_names
        self.attr_roots = {a for a, q in mod.imports.items() if q.split(".", 1)[0] in catalog.attribute_roots}

    # -- traversal ---------------------------------------------------------------------------------
    def visit_FunctionDef(self, node) -> None:
        for d in node.decorator_list + node.args.defaults + [d for d in node.args.kw_defaults if d]:
            self.visit(d)
        self.scopes.insert(0, self.mod.functions.get(node) or Scope(node))
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop(0)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        info = self.mod.classes.get(node.name)
        self.classes.insert(0, info if info and info.node is node else ClassInfo(node))
        self.generic_visit(node)
        self.classes.pop(0)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Attribute) and not self.catalog.may_end(node.func.attr):
            if self._held(node.func):
                self._from_table(node)
            self.generic_visit(node)  # `x.method(...)` keeps its method name whatever `x` is: no signature can match
            return
        qualified = self.repo.qualname(node.func, self.mod)
        sig = self.catalog.lookup(qualified) if qualified else None
        if sig is None and qualified:
            qualified, sig = self._vendored(qualified)
        if sig is None and qualified and isinstance(node.func, ast.Attribute):  # module.Subclass.method
            qualified = self.repo.reexport(qualified)
            sig = self.catalog.lookup(qualified)
        if sig is None and isinstance(node.func, ast.Attribute):
            qualified, sig = self._on_receiver(node.func)
        if sig is None and qualified and qualified.endswith(YOLO_CHECKOUT):  # not a root: repos have `models/`
            qualified = "yolov5." + YOLO_CHECKOUT
            sig = self.catalog.lookup(qualified)
        if sig is None and isinstance(node.func, ast.Attribute) and node.func.attr == "from_pretrained":
            qualified, sig = self._unimported(node.func.value)
        if sig is not None:
            self._call(node, sig, qualified)
        elif isinstance(node.func, (ast.Subscript, ast.Call)):
            self._picked(node)
        elif isinstance(node.func, ast.Attribute) and self._held(node.func):
            self._from_table(node)
        self.generic_visit(node)

    def _held(self, func: ast.Attribute) -> bool:
        """`self.x(...)` where the class assigns `self.x` (a callable it holds, not a method)."""
        cls = self.classes[0]
        return isinstance(func.value, ast.Name) and func.value.id in ("self", "cls") and cls is not None \
            and func.attr in cls.attrs

    def _from_table(self, call: ast.Call) -> None:
        """A catalogued callable held in an attribute (`self.loader = torchvision.models.resnet50`), or
        `self.loader = self.builders[name]`, then `self.loader(weights=...)`: a builder picked from a literal
        dict of catalogued builders. A dynamic load, the table's builders its
        candidates (one builder: that model)."""
        binds = self._bindings(call.func)
        refs = {self.repo.qualname(v, self.mod) for v, _ in binds if isinstance(v, (ast.Name, ast.Attribute))}
        if binds and len(refs) == 1 and None not in refs and len(binds) == sum(
                isinstance(v, (ast.Name, ast.Attribute)) for v, _ in binds):
            qualified = refs.pop()  # `self.loader = torchvision.models.resnet50`, then `self.loader(weights=...)`
            sig = self.catalog.lookup(qualified)
            if sig is not None:
                self._call(call, sig, qualified)
            return
        if not binds or not all(isinstance(v, ast.Subscript) for v, _ in binds):
            return
        table = binds[0][0].value
        tables = [v for v, _ in self._bindings(table)] if isinstance(table, (ast.Name, ast.Attribute)) else []
        if len(tables) != 1 or not isinstance(tables[0], ast.Dict):
            return
        picked = []
        for v in tables[0].values:
            qualified = self.repo.qualname(v, self.mod) if isinstance(v, (ast.Name, ast.Attribute)) else None
            sig = self.catalog.lookup(qualified) if qualified else None
            if sig is not None and (sig.fixed_model or sig.named):
                picked.append((qualified, sig))
        if not picked:
            return
        qualified, sig = picked[0]
        if (sig.load_if and not self._loads(call, sig, self._ctx(call.lineno))) or _weights_off(call):
            return
        models = list(dict.fromkeys(s.fixed_model or q.rsplit(".", 1)[-1] for q, s in picked))
        self._add(call, sig, qualified, binds[0][0], Value(models, "dict_lookup") if len(models) == 1 else None)

    def _unimported(self, expr: ast.expr) -> tuple[str | None, Signature | None]:
        """`AutoTokenizer.from_pretrained(...)` in code that never imports or binds the name (a snippet pasted
        without its imports, or one a library's `import *` brings): a transformers class name is that class.
        Not when a star import of a repository module may define it."""
        if not isinstance(expr, ast.Name) or not HF_CLASS.fullmatch(expr.id) \
                or any(self.repo.find_module(star) is not None for star in self.mod.star_imports) \
                or expr.id in self.mod.imports or expr.id in self.mod.classes or expr.id in dir(builtins) \
                or any(expr.id in s.assigns or expr.id in s.defaults for s in self.scopes) \
                or any(getattr(f, "name", None) == expr.id for f in self.mod.functions):
            return None, None
        qualified = f"transformers.{expr.id}.from_pretrained"
        return qualified, self.catalog.lookup(qualified)

    def _picked(self, call: ast.Call) -> None:
        """`pretrainedmodels.__dict__[name](...)`, `getattr(torchvision.models, name)(...)`: a builder picked by
        name from a catalogued module. Names the code gives become the candidates; an unknown name is a dynamic
        load when the call asks for weights."""
        func = call.func
        if isinstance(func, ast.Subscript) and isinstance(func.value, ast.Attribute) \
                and func.value.attr == "__dict__":
            owner, key = func.value.value, func.slice
        elif isinstance(func, ast.Call) and isinstance(func.func, ast.Name) and func.func.id == "getattr" \
                and len(func.args) >= 2:
            owner, key = func.args[0], func.args[1]
        else:
            return
        base = self.repo.qualname(owner, self.mod) if isinstance(owner, (ast.Name, ast.Attribute)) else None
        some = self.catalog.under(base) if base else None
        if some is None:
            return
        ctx = self._ctx(call.lineno)
        value = self.repo.resolver.resolve(key, ctx)
        if value:
            picked = [(f"{base}.{v}", self.catalog.lookup(f"{base}.{v}")) for v in value.values]
            picked = [(q, sig) for q, sig in picked if sig is not None and (sig.fixed_model or sig.named)]
            if not picked:
                return  # names the catalog does not know as builders
            qualified, sig = picked[0]
            if (sig.load_if and not self._loads(call, sig, ctx)) or _weights_off(call):
                return
            models = [s.fixed_model or q.rsplit(".", 1)[-1] for q, s in picked]
            self._add(call, sig, qualified, key, Value(list(dict.fromkeys(models)), value.kind))
            return
        flags = [k.value for k in call.keywords if k.arg in OFF_FLAGS]
        if flags and not all(_is_off(f) for f in flags):
            self._add(call, some, f"{base}.*", key, None)

    def _vendored(self, qualified: str) -> tuple[str, Signature | None]:
        """`third_party.timm.create_model`: a repo package named like a catalog library (a vendored copy of
        it) is that library; so is `CLIP.clip.load` when the repo has no `CLIP` (a clone the code expects)."""
        parts = qualified.split(".")
        for i in range(1, len(parts) - 1):
            if parts[i] in self.roots:
                path = self.repo.find_module(".".join(parts[:i + 1]))
                cloned = i == 1 and parts[0].lower() == parts[1]  # `from CLIP import clip` of a clone made at run time
                if (path and path.endswith("/__init__.py")) or (cloned and path is None):
                    name = ".".join(parts[i:])
                    sig = self.catalog.lookup(name)
                    if sig is not None:
                        return name, sig
        return qualified, None

    def _on_receiver(self, func: ast.Attribute) -> tuple[str | None, Signature | None]:
        """`x.method(...)` where every binding of `x` in its scope names the same kind of object: a class
        (`cls = AutoModelForCausalLM`, a parameter annotated `Type[PreTrainedModel]`) or an instance of one
        (`x = SubsAI()`, `self.x = SubsAI()`, for signatures marked `instance`)."""
        found: set[str] = set()
        first = None
        receiver, rest = func.value, ""
        while isinstance(receiver, ast.Attribute) and not (isinstance(receiver.value, ast.Name)
                                                           and receiver.value.id in ("self", "cls")):
            receiver, rest = receiver.value, f".{receiver.attr}{rest}"  # self.tf.saved_model.load: self.tf
        if not isinstance(receiver, ast.Attribute):
            receiver, rest = func.value, ""
        bindings = [(v, inst, self.mod) for v, inst in self._bindings(receiver) if not (rest and inst)]
        if not bindings and isinstance(func.value, ast.Name):
            bindings = [(v, False, m) for v, m in self._unpacked(func.value.id)]
        bindings = [(v, inst, m) for b, inst, m in bindings
                    for v in ((b.body, b.orelse) if isinstance(b, ast.IfExp) else (b,))]  # A if c else B
        for value, instance, mod in bindings:
            target = value.func if instance else value
            base = self.repo.qualname(target, mod) if isinstance(target, (ast.Name, ast.Attribute)) else None
            sig = self.catalog.lookup(f"{base}{rest}.{func.attr}", instance=instance) if base else None
            if sig is None:
                return None, None
            found.add(sig.id)
            first = first or (f"{base}{rest}.{func.attr}", sig)
        return first if len(found) == 1 else (None, None)

    def _bindings(self, expr: ast.expr) -> list[tuple[ast.expr, bool]]:
        """The values bound to a receiver name, each with True when it is a call (an instance)."""
        values: list[ast.expr] = []
        if isinstance(expr, ast.Name):
            for scope in self.scopes:
                if expr.id in scope.assigns:
                    values = [v for _, v in scope.assigns[expr.id]]
                    break
                if scope is not self.mod.scope and expr.id in scope.defaults:
                    return self._annotated(scope.node, expr.id)
        elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in ("self", "cls"):
            cls = self.classes[0]
            values = [v for _, v in cls.attrs.get(expr.attr, ())] if cls is not None else []
        return [(v, isinstance(v, ast.Call)) for v in values]

    def _unpacked(self, name: str) -> list[tuple[ast.expr, ModuleInfo]]:
        """`config_class, model_class, tokenizer_class = MODEL_CLASSES[key]`: the classes at that position in
        every tuple of the table (a literal dict of tuples in this module or one it imports), each with the
        module its names belong to."""
        scope = next((s for s in self.scopes if s is not self.mod.scope), self.mod.scope)
        for node in ast.walk(scope.node):
            if not isinstance(node, ast.Assign) or len(node.targets) != 1 \
                    or not isinstance(node.targets[0], (ast.Tuple, ast.List)):
                continue
            names = [dotted(t) for t in node.targets[0].elts]
            if name not in names or not isinstance(node.value, ast.Subscript):
                continue
            index = names.index(name)
            table, mod = self._table(node.value.value)
            if table is None:
                return []
            items = [v.elts[index] for v in table.values if isinstance(v, (ast.Tuple, ast.List))
                     and len(v.elts) == len(names)]
            return [(i, mod) for i in items] if items and len(items) == len(table.values) else []
        return []

    def _table(self, expr: ast.expr) -> tuple[ast.Dict | None, ModuleInfo]:
        """The literal dict a name refers to, here, through an import, or through a star import."""
        if not isinstance(expr, ast.Name):
            return None, self.mod
        places = [(self.mod, expr.id)]
        if expr.id in self.mod.imports:
            found = self.repo.split(self.mod.imports[expr.id])
            places += [(found[0], found[1][0])] if found and len(found[1]) == 1 else []
        for star in self.mod.star_imports:
            found = self.repo.split(f"{star}.{expr.id}") if star else None
            places += [(found[0], found[1][0])] if found and len(found[1]) == 1 else []
        for mod, name in places:
            for _, value in (mod.scope.assigns.get(name, ()) if mod.scope else ()):
                if isinstance(value, ast.Dict):
                    return value, mod
        return None, self.mod

    @staticmethod
    def _annotated(fn: ast.AST, name: str) -> list[tuple[ast.expr, bool]]:
        """A parameter annotated `Type[X]` / `type[X]` holds the class X (or a subclass)."""
        args = fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if hasattr(fn, "args") else []
        ann = next((a.annotation for a in args if a.arg == name), None)
        if isinstance(ann, ast.Subscript) and (dotted(ann.value) or "").rsplit(".", 1)[-1] in ("Type", "type"):
            return [(ann.slice, False)]
        return []

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if self.attr_roots and isinstance(node.ctx, ast.Load):
            if self._attribute(node):
                return
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in self.attr_roots or (self.attr_roots and node.id in self.mod.imports):
            self._attribute(node)

    # -- findings ----------------------------------------------------------------------------------
    def _ctx(self, line: int) -> Ctx:
        return Ctx(mod=self.mod, scopes=self.scopes, cls=self.classes[0], line=line)

    def _text(self, node: ast.AST) -> str:
        text = self.mod.segment(node) or ast.unparse(node)
        return text if len(text) <= MAX_TEXT else text[:MAX_TEXT] + "…"

    def _attribute(self, node: ast.expr) -> bool:
        qualified = self.repo.qualname(node, self.mod)
        sig = self.catalog.lookup(qualified, "attribute") if qualified else None
        if sig is None:
            return False
        self._add(node, sig, qualified, None, Value([sig.fixed_model], "literal"))
        return True

    def _call(self, call: ast.Call, sig: Signature, qualified: str) -> None:
        ctx = self._ctx(call.lineno)
        if (sig.load_if or sig.load_if_prefix) and not self._loads(call, sig, ctx):
            return
        if _weights_off(call):
            return
        if sig.not_if and any(k.arg in sig.not_if for k in call.keywords) \
                and call_arg(call, sig.arg_pos, sig.arg_kw) is None:
            return  # SentenceTransformer(modules=[...]): built from parts loaded elsewhere
        if sig.not_if_value and self._no_model(call, sig, ctx):
            return  # hf_hub_download(..., repo_type="dataset"): a data file, no model
        if sig.fixed_model or sig.named:
            weights = call_arg(call, None, "weights")
            model = sig.fixed_model or qualified.rsplit(".", 1)[-1]  # named: the callable's own name
            self._add(call, sig, qualified, weights, Value([model], "literal"))
            return
        arg = call_arg(call, sig.arg_pos, sig.arg_kw)
        if sig.id == "transformers.pipeline" and arg is not None and self._loaded(arg):
            tokenizer = call_arg(call, None, "tokenizer")
            if tokenizer is None or self._loaded(tokenizer):
                return  # pipeline(model=<loaded model>, tokenizer=<loaded tokenizer>) downloads nothing
            arg = tokenizer
        elif sig.id == "transformers.pipeline" and arg is not None and self._object_beside_loaded(call, arg, ctx):
            return
        elif sig.id in _OBJECT_ARG and arg is not None and self._loaded(arg):
            return  # BERTopic(embedding_model=<loaded model>), trl X.from_pretrained(<loaded model>): no download
        if sig.local:
            self._local(call, sig, qualified, arg, ctx)
            return
        if sig.normalize == "torch_hub":
            self._torch_hub(call, sig, qualified, ctx)
            return
        if arg is None:
            self._missing(call, sig, qualified, ctx)
            return
        value = self.repo.resolver.resolve(arg, ctx)
        if sig.file_runtime and value and all(is_local_path(v, sig.hub) for v in value.values):
            return  # a local GGUF/GGML file run as it is: nothing is fetched
        if value and (sig.tag_pos is not None or sig.tag_kw):
            value = self._tagged(call, sig, value, ctx)
        self._add(call, sig, qualified, arg, value)

    def _no_model(self, call: ast.Call, sig: Signature, ctx: Ctx) -> bool:
        """An argument whose every known value matches the signature's `not_if_value` patterns."""
        for pos, kw, patterns in sig.not_if_value:
            arg = call_arg(call, pos, kw)
            value = self.repo.resolver.resolve(arg, ctx) if arg is not None else None
            if value and all(isinstance(v, str) and any(fnmatchcase(v.lower(), p) for p in patterns)
                             for v in value.values):
                return True
        return False

    def _loaded(self, expr: ast.expr) -> bool:
        """An expression holding an object a catalogued call loaded (`model = AutoModel.from_pretrained(...)`)."""
        values = [(expr, False)] if isinstance(expr, ast.Call) else self._bindings(expr)
        if isinstance(expr, ast.Attribute) and self.classes[0] is not None:  # self.tok = tok; tok = X.from_pretrained()
            values = [(b, isinstance(b, ast.Call)) for v, _ in values
                      for b in (self._method_local(v) if isinstance(v, ast.Name) else [v])]
        values = [(v, i) for v, i in values if not (isinstance(v, ast.Constant) and v.value is None)]  # `model = None`
        if not values and isinstance(expr, ast.Name):
            return self._passed_loaded(expr)
        calls = [v for v, _ in values if isinstance(v, ast.Call)]
        if not calls or len(calls) != len(values):
            return False
        for c in calls:
            c = _moved(c)
            if not self._catalogued(c, self.mod) and not (
                    isinstance(c.func, ast.Attribute) and self._on_receiver(c.func)[1] is not None):
                return False
        return True

    def _passed_loaded(self, expr: ast.Name) -> bool:
        """A parameter of a plain function to which every call site passes an object a catalogued call loaded
        (`def build(model): pipeline(..., model=model)`; `build(AutoModel.from_pretrained(...))`)."""
        scope, fn = self.scopes[0], self.scopes[0].node
        if self.classes[0] is not None or not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) \
                or expr.id not in scope.defaults or expr.id in scope.assigns:
            return False
        index = next((k for k, a in enumerate(fn.args.posonlyargs + fn.args.args) if a.arg == expr.id), None)
        found = self.repo.resolver._sites(fn.name, self.mod, fn, None)
        for site in found:
            arg = site.argument(expr.id, index)
            held = next((sc.assigns[arg.id] for sc in site.scopes if arg.id in sc.assigns), []) \
                if isinstance(arg, ast.Name) else []
            values = [arg] if isinstance(arg, ast.Call) else [v for _, v in held]
            if not values or not all(isinstance(v, ast.Call) and self._catalogued(v, site.mod) for v in values):
                return False
        return bool(found)

    def _catalogued(self, c: ast.Call, mod: ModuleInfo) -> bool:
        """A call the catalog knows (through `.to(device)` and the like)."""
        name = self.repo.qualname(_moved(c).func, mod)
        return bool(name) and self.catalog.lookup(name) is not None

    def _method_local(self, name: ast.Name) -> list[ast.expr]:
        """The values a local name gets in the methods of the current class (for `self.x = name`); [name] when
        it gets none."""
        found = [n.value for n in ast.walk(self.classes[0].node) if isinstance(n, ast.Assign) and len(n.targets) == 1
                 and isinstance(n.targets[0], ast.Name) and n.targets[0].id == name.id]
        return found or [name]

    def _object_beside_loaded(self, call: ast.Call, arg: ast.expr, ctx: Ctx) -> bool:
        """pipeline(model=m, tokenizer=<loaded tokenizer>) where `m` is only ever bound to results of calls (`m =
        self.load_model()`) and no model id reaches it: the model is an object too, so nothing is downloaded."""
        tokenizer = call_arg(call, None, "tokenizer")
        if tokenizer is None or not self._loaded(tokenizer) or not isinstance(arg, (ast.Name, ast.Attribute)):
            return False
        bound = self._bindings(arg)
        return bool(bound) and all(is_call for _, is_call in bound) and not self.repo.resolver.resolve(arg, ctx)

    def _tagged(self, call: ast.Call, sig: Signature, value: Value, ctx: Ctx) -> Value:
        """open_clip (architecture, pretrained tag): the Hub repository of that pair when the catalog knows it;
        `tag_join`: the pair `<model>/<tag>` is the id."""
        tag = self.repo.resolver.resolve(call_arg(call, sig.tag_pos, sig.tag_kw), ctx)
        if not tag:
            return value
        pairs = [f"{a}/{t}" for a in value.values for t in tag.values]
        if not sig.tag_join:
            pairs = [self.catalog.pretrained_tags.get(p) for p in pairs]
        if not all(pairs):
            return value
        return Value(list(dict.fromkeys(pairs)), chain(value.kind, tag.kind))

    def _local(self, call: ast.Call, sig: Signature, qualified: str, arg: ast.expr | None, ctx: Ctx) -> None:
        """Weights read from a local file: torch.load counts when the code shows it reads a model (a checkpoint
        file name, a `load_state_dict(...)` around it, a weights-like target or argument name)."""
        value = self.repo.resolver.resolve(arg, ctx)
        if sig.id == "torch.load" and not self._weights(call, arg, value):
            return
        self._add(call, sig, qualified, arg, value, local=True, raw=True)

    def _weights(self, call: ast.Call, arg: ast.expr | None, value: Value | None) -> bool:
        if arg is not None and NOT_WEIGHTS.search(self._text(arg)):
            return False  # optimizer / scheduler / scaler state
        data = bool(value) and all(DATA_FILE.search(v.replace("\\", "/").rsplit("/", 1)[-1]) for v in value.values)
        data = data or self._data_target(call)
        if not data and value and any(v.lower().endswith(CHECKPOINT_EXT) for v in value.values):
            return True
        if not data and arg is not None and WEIGHTS_HINT.search(self._text(arg)):
            return True
        if self._parents is None:
            self._parents = {c: p for p in ast.walk(self.mod.tree) for c in ast.iter_child_nodes(p)}
        node, parent = call, self._parents.get(call)
        while isinstance(parent, ast.Subscript) and parent.value is node:  # torch.load(p)["model"]
            node, parent = parent, self._parents.get(parent)
        if isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute) \
                and parent.func.attr in ("load_state_dict", "load_checkpoint"):
            return not NOT_WEIGHTS.search(ast.unparse(parent.func.value))
        if isinstance(parent, (ast.Assign, ast.AnnAssign)):
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            if any(WEIGHTS_HINT.search(ast.unparse(t)) for t in targets):
                return True
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            return bool(names) and self._restores(names)
        return False

    def _data_target(self, call: ast.Call) -> bool:
        """`self.task_centroids = torch.load(...)`: the result is bound to a name for data (its last word)."""
        if self._parents is None:
            self._parents = {c: p for p in ast.walk(self.mod.tree) for c in ast.iter_child_nodes(p)}
        parent = self._parents.get(call)
        if not isinstance(parent, (ast.Assign, ast.AnnAssign)):
            return False
        targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
        words = [re.split(r"[._]", ast.unparse(t))[-1] + "." for t in targets if isinstance(t, (ast.Name, ast.Attribute))]
        return bool(words) and all(DATA_FILE.search(w) for w in words)

    def _restores(self, names: set[str]) -> bool:
        """A name later handed to `<model>.load_state_dict(...)` in the same function (`state = torch.load(p);
        model.load_state_dict(state["state_dict"])`, also through `sd = state["model"]`): the file holds model
        weights."""
        for node in ast.walk(self.scopes[0].node):  # names bound to a part of the loaded object
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Subscript) and isinstance(node.value.value, ast.Name) \
                    and node.value.value.id in names:
                names = names | {node.targets[0].id}
        for node in ast.walk(self.scopes[0].node):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr in ("load_state_dict", "load_checkpoint") and node.args \
                    and not NOT_WEIGHTS.search(ast.unparse(node.func.value)) \
                    and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node.args[0])):
                return True
        return False

    def _loads(self, call: ast.Call, sig: Signature, ctx: Ctx) -> bool:
        """False when the call builds an architecture without pre-trained weights."""
        flags = [k.value for k in call.keywords if k.arg in sig.load_if]
        if sig.fixed_model and call.args and not flags:  # legacy torchvision: resnet50(True)
            flags = [call.args[0]]
        elif sig.arg_kw in sig.load_if and sig.arg_pos is not None and len(call.args) > sig.arg_pos and not flags:
            flags = [call.args[sig.arg_pos]]  # TTS("tts_models/...") names its model by position
        if sig.load_if_prefix:
            arg = self.repo.resolver.resolve(call_arg(call, sig.arg_pos, sig.arg_kw), ctx)
            if arg and any(v.startswith(sig.load_if_prefix) for v in arg.values):
                return True
        return bool(flags) and not all(_is_off(f) for f in flags)

    def _missing(self, call: ast.Call, sig: Signature, qualified: str, ctx: Ctx) -> None:
        task_expr = call_arg(call, sig.task_pos, sig.task_kw) if (sig.task_pos is not None or sig.task_kw) else None
        if task_expr is not None:
            task = self.repo.resolver.resolve(task_expr, ctx)
            defaults = [d for d in (self.catalog.task_default(t) for t in (task.values if task else [])) if d]
            if defaults:
                self._add(call, sig, qualified, task_expr, Value(list(dict.fromkeys(defaults)), "task_default"))
                return
        elif sig.default_model and not any(k.arg is None for k in call.keywords):
            self._add(call, sig, qualified, None, Value([sig.default_model], "task_default"))
            return
        star = next((a for a in call.args if isinstance(a, ast.Starred)), None) or next(
            (k.value for k in call.keywords if k.arg is None), None)
        arg = star if star is not None else task_expr
        self._add(call, sig, qualified, arg, None, arg_text=None if arg is not None else self._text(call))

    def _torch_hub(self, call: ast.Call, sig: Signature, qualified: str, ctx: Ctx) -> None:
        repo_expr, entry_expr = call_arg(call, sig.arg_pos, sig.arg_kw), call_arg(call, sig.arg2_pos, sig.arg2_kw)
        source = _first_str(call_arg(call, None, "source"))  # 'github' (default) or 'local'
        resolver = self.repo.resolver
        repo_v, entry_v = resolver.resolve(repo_expr, ctx), resolver.resolve(entry_expr, ctx)
        text = ", ".join(self._text(e) for e in (repo_expr, entry_expr) if e is not None) or None
        if entry_v and all(HUB_HELPERS.search(e) for e in entry_v.values):
            return  # `nvidia_ssd_processing_utils`: the entry returns helper code, no weights
        if not repo_v or not entry_v:
            self._add(call, sig, qualified, None, None, arg_text=text)
            return
        if all(r.split(":")[0] in HF_HUBCONF for r in repo_v.values) and len(call.args) > 2:
            # transformers' own hubconf: the entry names a class, the third argument is the Hub model id
            hf = dataclasses.replace(sig, library="transformers", hub="huggingface", normalize=None)
            self._add(call, hf, qualified, call.args[2], resolver.resolve(call.args[2], ctx))
            return
        weights = call_arg(call, 2, "path")
        if entry_v.values == ["custom"] and weights is not None:
            # YOLOv5-style `torch.hub.load(repo, "custom", path)`: the weights are the local file at `path`
            self._add(call, sig, qualified, weights, resolver.resolve(weights, ctx), local=True)
            return
        ids, revision = [], None
        for r in repo_v.values:
            for e in entry_v.values:
                model, ref = torch_hub(r, e)
                ids.append(model)
                revision = revision or ref
        kind = chain(repo_v.kind, entry_v.kind)
        local = source == "local" or is_local_path(repo_v.values[0], "pytorch_hub")
        self._add(call, sig, qualified, None, Value(list(dict.fromkeys(ids)), kind), arg_text=text,
                  revision=revision, local=local, raw=True)

    def _add(self, node: ast.expr, sig: Signature, qualified: str, arg: ast.expr | None, value: Value | None,
             arg_text: str | None = None, revision: str | None = None, local: bool | None = None,
             raw: bool = False) -> None:
        cell, line = self.locate(node.lineno)
        hub, model, candidates = sig.hub, None, []
        if value and not any(v.strip() for v in value.values):
            value = None  # an empty string (a placeholder default) names no model
        if value and value.values:
            values = [v for v in value.values if v.strip()]
            if sig.normalize == "open_clip_pair":  # "ViT-L-14/openai" -> its Hub repository
                values = [self.catalog.pretrained_tags.get(v, v) for v in values]
            normalized = [(v, *normalize(sig.normalize, v, sig.hub)) if not raw else (v, v, sig.hub)
                          for v in values]
            candidates = list(dict.fromkeys(n for _, n, _ in normalized))
            original, model, hub = normalized[0]
            if local is None:
                local = is_local_path(original, sig.hub) or (hub == "huggingface" and original.count("/") <= 1 and (
                    bool(LOCAL_ROOT.match(original.split("/")[0])) or _path_name(arg)))
        kind = value.kind if value and value.values else "dynamic"
        confidence = CONFIDENCE[kind] - (0.1 if len(candidates) > 1 else 0.0)
        call = node if isinstance(node, ast.Call) else None
        self.nodes.append(node)
        self.findings.append(Finding(
            file=self.file, line=line, col=node.col_offset, cell=cell, library=sig.library,
            api=qualified, call_text=self._text(node), arg_text=arg_text or (self._text(arg) if arg is not None else None),
            model=model, candidates=candidates, resolution=kind, confidence=round(max(confidence, 0.05), 2),
            hub=hub, revision=revision or (self._kw_str(call, "revision") if call else None),
            trust_remote_code=self._kw_bool(call, "trust_remote_code") if call else None,
            is_local_path=bool(local),
        ))

    def _kw_str(self, call: ast.Call, name: str) -> str | None:
        for k in call.keywords:
            if k.arg == name:
                value = self.repo.resolver.resolve(k.value, self._ctx(call.lineno))
                return value.values[0] if value else self._text(k.value)
        return None

    @staticmethod
    def _kw_bool(call: ast.Call, name: str) -> bool | None:
        for k in call.keywords:
            if k.arg == name:
                return k.value.value if isinstance(k.value, ast.Constant) and isinstance(k.value.value, bool) else None
        return None


def _moved(c: ast.Call) -> ast.Call:
    """AutoModel.from_pretrained(...).to(device) -> the from_pretrained call."""
    while isinstance(c.func, ast.Attribute) and isinstance(c.func.value, ast.Call) \
            and c.func.attr in ("to", "cuda", "cpu", "eval", "half", "float", "bfloat16"):
        c = c.func.value
    return c


def _path_name(arg: ast.expr | None) -> bool:
    """The load's argument is a variable or attribute named for a folder (`adapter_dir`, `self.save_dir`)."""
    name = arg.id if isinstance(arg, ast.Name) else arg.attr if isinstance(arg, ast.Attribute) else ""
    return bool(PATH_NAME.search(name))


def _assigned_names(node: ast.AST, parents: dict) -> tuple[set[str], ast.Call | None]:
    """Names the loaded model is bound to (`model = ...`, `self.model = ...`, `a, b = ...`), and the
    nearest enclosing evidence call (`get_peft_model(AutoModel.from_pretrained(...))`)."""
    around = None
    while node in parents:
        node = parents[node]
        if around is None and isinstance(node, ast.Call) and call_mode(node):
            around = node
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = set()
            for t in targets:
                for item in (t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]):
                    if dotted(item):
                        names.add(dotted(item))
            return names, around
        if isinstance(node, ast.stmt):
            break
    return set(), around


def analyze_module(mod: ModuleInfo, repo: Repo, catalog: Catalog, file: str, locate: Locate) -> list[Finding]:
    """All findings of one module, each with its reuse mode and evidence."""
    walker = ModuleAnalyzer(mod, repo, catalog, file, locate)
    walker.visit(mod.tree)
    if not walker.findings:
        return walker.findings

    def where(node: ast.AST) -> str:
        cell, line = locate(node.lineno)
        place = f"cell {cell} line {line}" if cell is not None else f"line {line}"
        return f"{place}: {walker._text(node)}"

    items = evidence(mod.tree)
    parents = {child: parent for parent in ast.walk(mod.tree) for child in ast.iter_child_nodes(parent)}
    whole = choose(items)
    for f, node in zip(walker.findings, walker.nodes):
        names, around = _assigned_names(node, parents)
        picked = (call_mode(around), around) if around is not None else (choose(items, names) if names else None)
        picked = picked or whole
        f.reuse_mode, f.reuse_evidence = (picked[0], where(picked[1])) if picked else ("inference", None)
    return walker.findings
