"""Repository-wide view: find modules by dotted name, follow re-exports, constants, CLI options, configs."""

from __future__ import annotations

import ast
import json
import os
import re
import tomllib
from collections import OrderedDict
from typing import Callable

import yaml

from ..core import safeyaml
from .launch import INI_SUFFIXES, LAUNCH_SUFFIXES, ini_values, launch_assignments, launch_values, script_options
from .module import ModuleInfo, build_module
from .resolve import MODEL_KEYS, Ctx, Resolver, Value

CONFIG_SUFFIXES = (".yaml", ".yml", ".json", ".toml") + INI_SUFFIXES + LAUNCH_SUFFIXES
CONFIG_NAME = re.compile(r"""['"]([^'"\s]+\.(?:ya?ml|json|toml))['"]""")  # a config file named in code
MAX_MODULES = 400  # parsed modules kept per repository
MAX_MODULE_CHARS = 2_000_000  # and their source characters (a syntax tree takes ~30 times its source)
_MODEL_KEY_BYTES = tuple(k.encode() for k in MODEL_KEYS)


def module_name(path: str) -> str:
    """Dotted module name for a repo path: src/pkg/a.py -> src.pkg.a, pkg/__init__.py -> pkg."""
    stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def parse(text: str, path: str) -> ast.Module:
    """ast.parse; raises SyntaxError, ValueError or RecursionError on bad input."""
    return ast.parse(text, filename=path)


class Repo:
    """All files of one repository, decoded and parsed on demand (every parse is cached).

    While `watch` is a set, every fact of the repository an analysis reads is added to it as a dependency
    (a module's blob, a module-name lookup, a config or CLI value, the files mentioning a name); `holds(dep)`
    tells whether a dependency recorded on another commit's Repo is still true here (see scan's FileCache)."""

    def __init__(self, texts: dict[str, Callable[[], str | None]], configs: dict[str, Callable[[], bytes]],
                 star_roots: frozenset[str] = frozenset(), catalog=None, blobs: dict[str, str] | None = None,
                 data: Callable[[str], bytes] | None = None):
        self.blobs = blobs or {}  # path -> git blob id (empty for a folder)
        self.watch: set | None = None
        self.star_roots = star_roots  # libraries whose `import *` names are trusted to be theirs
        self.catalog = catalog  # lets a model-id argument be a loaded model (resolved to its id)
        self._texts = texts  # python path -> lazy decoded text (None when unreadable)
        self._data = data  # python path -> its bytes (lets a text search skip decoding)
        self.text_index = None  # textindex.TrigramIndex of the python files (made on the first search if not given)
        self._configs = configs  # config path -> lazy bytes
        self._parsed: dict[str, object] = {}  # config path -> its parsed content (None when not valid)
        self._modules: OrderedDict[str, ModuleInfo | None] = OrderedDict()
        self._source_chars = 0
        self._split: dict = {}  # dotted name -> ((module path, segments in it) or None, dependencies)
        self._reexports: dict = {}  # dotted name -> (library name, dependencies)
        self._by_last: dict[str, list[str]] = {}  # last segment of a module's dotted name -> its paths
        for path in texts:
            if path.endswith(".py"):
                self._by_last.setdefault(module_name(path).rsplit(".", 1)[-1], []).append(path)
        self._found: dict[str, str | None] = {}  # find_module's answers
        self._cli: dict[str, Value | None] = {}
        self._mentions: dict = {}
        self.cli_files: set[str] | None = None  # the files that may define options (None: any), known from their bytes
        self._config_map: dict[str, list[str]] | None = None
        self._extra_keys: dict[str, list[str]] = {}
        self._children: dict[tuple[str, str], list[str]] = {}
        self._paths: dict[tuple[str, ...], list[str]] = {}
        self._env: dict[str, list[str]] = {}
        self._launched: dict[tuple[str, tuple[str, ...]], list[str]] = {}
        self.config_status: dict[str, tuple[str, str | None, str | None]] = {}  # consulted config files
        self.resolver = Resolver(self)

    # -- modules -----------------------------------------------------------------------------------
    def add_module(self, path: str, info: ModuleInfo | None) -> None:
        """Keep a module parsed elsewhere (a notebook's cells), within the same bounds as `module_at`."""
        old = self._modules.pop(path, None)
        if old is not info:
            self._drop(old)
        self._modules[path] = info
        if info is not None:
            info.released = False
        self._source_chars += len(info.source) if info else 0
        while len(self._modules) > 1 and (len(self._modules) > MAX_MODULES or self._source_chars > MAX_MODULE_CHARS):
            self._drop(self._modules.popitem(last=False)[1])

    def _drop(self, info: ModuleInfo | None) -> None:
        if info is not None:
            self._source_chars -= len(info.source)
            info.call_sites = None  # they point back to the module: a cycle, never freed while the collector is off
            info.released = True  # a resolution still running may ask for its call sites again

    def release(self) -> None:
        """Forget the parsed modules (at the end of a scan: the Repo and its resolver refer to each other, so
        without this they would wait for the cyclic collector)."""
        for info in self._modules.values():
            self._drop(info)
        self._modules.clear()
        self._parsed.clear()

    def has_text(self, path: str) -> bool:
        return path in self._texts

    # -- dependencies ------------------------------------------------------------------------------
    def _note(self, dep: tuple) -> None:
        if self.watch is not None:
            self.watch.add(dep)

    def _remember(self, memo: dict, key, compute):
        """memo[key] = compute(), with the dependencies found while computing it, added on every use."""
        if key not in memo and not self.blobs:  # a folder: nothing is kept across commits, no dependency is asked for
            memo[key] = (compute(), frozenset())
        if key not in memo:
            outer, self.watch = self.watch, set()
            try:
                value = compute()
            finally:
                deps, self.watch = self.watch, outer
            memo[key] = (value, frozenset(deps))
        value, deps = memo[key]
        if self.watch is not None:
            self.watch |= deps
        return value

    def holds(self, dep: tuple) -> bool:
        """Whether a dependency recorded on another Repo (another commit) is true of this one."""
        outer, self.watch = self.watch, None
        try:
            kind, *args = dep
            if kind == "module":
                return self.blobs.get(args[0]) == args[1] and args[1] is not None
            if kind == "find":
                return self.find_module(args[0]) == args[1]
            if kind == "config":
                return tuple(self.config_values(args[0])) == args[1]
            if kind == "cli":  # computed aside: the first caller's depth decides what the analysis gets
                known = args[0] in self._cli
                value = self._cli_default(args[0], 0)
                if not known:
                    del self._cli[args[0]]
                return (tuple(value.values), value.kind) == args[1] if value else args[1] is None
            if kind == "env":
                return tuple(self.env_values(args[0])) == args[1]
            if kind == "child":
                return tuple(self.config_child_values(args[0], args[1])) == args[2]
            if kind == "file":
                return self.config_file_value(args[0], args[1]) == args[2]
            if kind == "path":
                return tuple(self.config_path_values(args[0])) == args[1]
            if kind == "launch":
                return tuple(self.launched(args[0], args[1], args[2])) == args[3]
            if kind == "mentions":
                return tuple(self.mentioning(*args[:3])) == args[3]
            return False
        finally:
            self.watch = outer

    def module_at(self, path: str) -> ModuleInfo | None:
        """The parsed module at `path`. At most MAX_MODULES parsed modules of MAX_MODULE_CHARS source characters
        in all stay cached (least recently used go, and are parsed again if asked for), so memory does not grow
        with the size of the tree."""
        self._note(("module", path, self.blobs.get(path)))
        if path in self._modules:
            self._modules.move_to_end(path)
            return self._modules[path]
        info = None
        text = self._texts.get(path, lambda: None)()
        if text is not None:
            try:
                info = build_module(parse(text, path), module_name(path), path, text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                pass
        self.add_module(path, info)
        return info

    def find_module(self, dotted_name: str) -> str | None:
        """The repo module a dotted name imports: of the modules whose dotted name ends with it (whole segments),
        the least deep, then the first by path."""
        if dotted_name not in self._found:
            tail = "." + dotted_name
            paths = [p for p in self._by_last.get(dotted_name.rsplit(".", 1)[-1], ())
                     if (name := module_name(p)) == dotted_name or name.endswith(tail)]
            self._found[dotted_name] = min(paths, key=lambda p: (p.count("/"), p)) if paths else None
        found = self._found[dotted_name]
        self._note(("find", dotted_name, found))
        return found

    def mentioning(self, name: str, last: str, exclude: str) -> list[str]:
        """Python files other than `exclude` whose text contains both `name` and `last` (a cheap text test). With
        the files' bytes at hand and ASCII names, only the files a trigram index lets through are read again."""
        def compute():
            raw = (name.encode(), last.encode()) if self._data and name.isascii() and last.isascii() else None
            if raw is None:
                paths = [p for p in self._texts if p.endswith(".py")]
            else:
                if self.text_index is None:
                    from .textindex import TrigramIndex  # (numpy) only for scans that search texts

                    self.text_index = TrigramIndex.build([p for p in self._texts if p.endswith(".py")], self._data,
                                                         lambda data: not may_declare_coding(data))
                paths = self.text_index.candidates(*raw)
            return [path for path in paths if path != exclude and self._holds_both(path, raw, name, last)]
        found = self._remember(self._mentions, (name, last, exclude), compute)
        self._note(("mentions", name, last, exclude, tuple(found)))
        return found

    def _holds_both(self, path: str, raw: tuple[bytes, bytes] | None, name: str, last: str) -> bool:
        if raw is not None:
            data = self._data(path)
            if not may_declare_coding(data):  # decoded as UTF-8 or Latin-1: the same ASCII substrings
                return raw[0] in data and raw[1] in data
        text = self._texts[path]()
        return bool(text) and name in text and last in text

    def split(self, qualified: str) -> tuple[ModuleInfo, list[str]] | None:
        """The longest repo-module prefix of a dotted name, and the remaining segments."""
        parts = qualified.split(".")
        found = self._remember(self._split, qualified, lambda: next(
            ((path, i) for i in range(len(parts) - 1, 0, -1) if (path := self.find_module(".".join(parts[:i])))),
            None))
        if found is None:
            return None
        info = self.module_at(found[0])
        return (info, qualified.split(".")[found[1]:]) if info else None

    # -- names -------------------------------------------------------------------------------------
    def qualname(self, expr: ast.expr, mod: ModuleInfo, depth: int = 0) -> str | None:
        """Fully qualified name of a callable expression, following import aliases and repo re-exports."""
        if depth > 8:
            return None
        if isinstance(expr, ast.Attribute):
            base = self.qualname(expr.value, mod, depth + 1)
            return f"{base}.{expr.attr}" if base else None
        if not isinstance(expr, ast.Name):
            return None
        name = expr.id
        if name in mod.imports:
            return self.reexport(mod.imports[name], depth + 1)
        if name in mod.classes:  # a repo subclass of a library class loads like its base
            found = [q for q in (self.qualname(b, mod, depth + 1) for b in mod.classes[name].node.bases) if q]
            if self.catalog is not None and len(found) > 1:  # (nn.Module, PyTorchModelHubMixin): a known base first
                found.sort(key=lambda q: not self.catalog.owns(q))
            return found[0] if found else None
        assigns = mod.scope.assigns.get(name) if mod.scope else None
        if assigns:
            if len(assigns) == 1 and isinstance(assigns[0][1], (ast.Name, ast.Attribute)):
                return self.qualname(assigns[0][1], mod, depth + 1)
            return None
        for star in mod.star_imports:  # from transformers import *
            found = self.split(f"{star}.{name}") if star else None
            if found is None:
                if star.split(".", 1)[0] in self.star_roots:
                    return f"{star}.{name}"
                continue
            info, rest = found
            if rest and (rest[0] in info.imports or rest[0] in info.classes or info.star_imports):
                resolved = self.reexport(f"{star}.{name}", depth + 1)
                if resolved != f"{star}.{name}":
                    return resolved
        return None

    def reexport(self, qualified: str, depth: int = 0) -> str:
        """Follow `from .x import Y` chains inside the repo to the library name they stand for (remembered)."""
        return self._remember(self._reexports, qualified, lambda: self._reexport(qualified, depth))

    def _reexport(self, qualified: str, depth: int) -> str:
        if depth > 8:
            return qualified
        found = self.split(qualified)
        if not found:
            return qualified
        info, rest = found
        head, tail = rest[0], rest[1:]
        target = None
        if head in info.imports:
            target = self.reexport(info.imports[head], depth + 1)
        elif head in info.classes or info.star_imports:
            target = self.qualname(ast.Name(id=head), info, depth + 1)
            target = target if target and target != f"{info.name}.{head}" else None
        return ".".join([target] + tail) if target else qualified

    def constant(self, qualified: str, depth: int) -> Value | None:
        """Value of a module-level constant of a repo module, e.g. pkg.config.MODEL."""
        found = self.split(qualified)
        if not found or depth > 12:
            return None
        info, rest = found
        if len(rest) != 1:
            return None
        name = rest[0]
        if name in info.scope.assigns:
            ctx = Ctx(mod=info, scopes=[info.scope], cls=None, line=10**9, depth=depth)
            return self.resolver.resolve(ast.Name(id=name), ctx)
        if name in info.imports:
            return self.constant(info.imports[name], depth + 1)
        return None

    def constant_dict(self, qualified: str, depth: int) -> dict | None:
        found = self.split(qualified)
        if not found or depth > 12 or len(found[1]) != 1:
            return None
        info, (name,) = found
        ctx = Ctx(mod=info, scopes=[info.scope], cls=None, line=10**9, depth=depth)
        return self.resolver._dict(ast.Name(id=name), ctx)

    # -- CLI options defined in another module ----------------------------------------------------
    def cli_default(self, dest: str, depth: int) -> Value | None:
        value = self._cli_default(dest, depth)
        self._note(("cli", dest, (tuple(value.values), value.kind) if value else None))
        return value

    def _cli_default(self, dest: str, depth: int) -> Value | None:
        if dest in self._cli:
            return self._cli[dest]
        self._cli[dest] = None
        needle = dest.replace("_", "")
        for path, text_of in self._texts.items():
            if not path.endswith(".py") or (self.cli_files is not None and path not in self.cli_files):
                continue
            text = text_of()
            if not text or ("add_argument" not in text and "DEFINE_" not in text):
                continue
            if needle not in text.replace("_", "").replace("-", ""):
                continue
            info = self.module_at(path)
            if info and dest in info.cli_defaults:
                ctx = Ctx(mod=info, scopes=[info.scope], cls=None, line=10**9, depth=depth + 1)
                value = self.resolver.resolve(info.cli_defaults[dest], ctx)
                if info.cli_from_config and not (value and any(v.strip() for v in value.values)):
                    found = self.option_config_values(info.source, dest)
                    value = Value(found, "config_file") if found else value
                if value:
                    self._cli[dest] = value
                    break
        return self._cli[dest]

    # -- config files ------------------------------------------------------------------------------
    def _config(self, path: str):
        """The parsed content of config file `path` (parsed once; None when it is not valid). Read only."""
        if path not in self._parsed:
            self._parsed[path] = load_config(path, self._configs[path]())
        return self._parsed[path]

    def config_values(self, key: str) -> list[str]:
        values = self._config_values(key)
        self._note(("config", key, tuple(values)))
        return values

    def _config_values(self, key: str) -> list[str]:
        if self._config_map is None:
            self._config_map = {}
            for path in sorted(self._configs, key=_config_order):
                data = self._configs[path]()
                if not any(k in data.lower() for k in _MODEL_KEY_BYTES):  # MODEL_NAME= of a .env file too
                    continue
                parsed = self._config(path)
                self.config_status[path] = ("ok", None, None) if parsed is not None else (
                    "error", "invalid_config", "not valid YAML/JSON/TOML")
                for k, v in _config_pairs(parsed):
                    self._config_map.setdefault(k.lower(), [])
                    if v not in self._config_map[k.lower()]:
                        self._config_map[k.lower()].append(v)
        if key in MODEL_KEYS:
            return self._config_map.get(key, [])
        return self._config_key_values(key)

    def env_values(self, name: str) -> list[str]:
        """Values an environment variable gets: assigned in launch files (`ENV NAME=`, `export NAME=`, `.env`), else
        under that key in the other config files (docker-compose `environment:`) — never a command-line flag of
        the same name given to some script."""
        if name not in self._env:
            found: list[str] = []
            needle = name.encode()
            for launch in (True, False):
                for path in sorted(self._configs, key=_config_order):
                    if path.lower().endswith(LAUNCH_SUFFIXES) is not launch:
                        continue
                    data = self._configs[path]()
                    if needle.lower() not in data.lower():
                        continue
                    if launch:
                        values = [launch_assignments(data.decode("utf-8", "replace")).get(name)]
                    else:
                        values = [v for _, v in _config_pairs(self._config(path), keys=frozenset({name.lower()}))]
                    found += [v for v in values if v and "$" not in v and _literal(v) and v not in found]
                if found:
                    break
            self._env[name] = found
        self._note(("env", name, tuple(self._env[name])))
        return self._env[name]

    def config_child_values(self, parent: str, key: str) -> list[str]:
        """String values of `key` inside a mapping under `parent` (`model: {name: org/m}`) in the config files."""
        if (parent, key) not in self._children:
            found: list[str] = []
            for path in sorted(self._configs, key=_config_order):
                data = self._configs[path]()
                low = data.lower()
                if parent.encode() not in low or key.encode() not in low:
                    continue
                for value in _children(self._config(path), parent, key):
                    if value not in found:
                        found.append(value)
            self._children[(parent, key)] = found
        self._note(("child", parent, key, tuple(self._children[(parent, key)])))
        return self._children[(parent, key)]

    def config_file_value(self, file: str, path: tuple[str, ...]) -> str | None:
        """The string at a key path of one config file (a Hydra main's `config_name`), else None."""
        node = self._config(file) if file in self._configs else None
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        found = node if isinstance(node, str) and _literal(node) else None
        self._note(("file", file, path, found))
        return found

    def config_path_values(self, path: tuple[str, ...]) -> list[str]:
        """String values at a nested key path (`embedding.txtai.model_name`) in the config files."""
        if path not in self._paths:
            found: list[str] = []
            for name in sorted(self._configs, key=_config_order):
                data = self._configs[name]()
                if path[-1].encode() not in data.lower():
                    continue
                node = self._config(name)
                for key in path:
                    node = next((v for k, v in node.items() if isinstance(k, str) and k.lower() == key), None) \
                        if isinstance(node, dict) else None
                if isinstance(node, int) and not isinstance(node, bool):
                    node = str(node)  # `checkpoint_id: 46`, formatted into a file name
                if isinstance(node, str) and _literal(node) and node not in found:
                    found.append(node)
            self._paths[path] = found
        self._note(("path", path, tuple(self._paths[path])))
        return self._paths[path]

    def launched(self, script: str, option: str, flags: tuple[str, ...] = ()) -> list[str]:
        """Values the repository's launch files (shell scripts, Dockerfiles, Makefiles, READMEs) pass to an
        option (`--option`, or any of its argparse `flags`, `-m`) on the commands that run `script` (a python
        file path), shipped scripts first."""
        names = [option] + [f if not f.startswith("--") else f[2:].replace("-", "_") for f in flags]
        key = (os.path.basename(script), tuple(dict.fromkeys(names)))
        if key not in self._launched:
            found: list[str] = []
            needle = key[0].encode()
            for path in sorted(self._configs, key=_config_order):
                if not path.lower().endswith(LAUNCH_SUFFIXES):
                    continue
                data = self._configs[path]()
                if needle not in data:
                    continue
                options = script_options(data.decode("utf-8", "replace"), key[0])
                for value in (v for name in key[1] for v in options.get(name, [])):
                    if value not in found:
                        found.append(value)
            self._launched[key] = found
        self._note(("launch", script, option, flags, tuple(self._launched[key])))
        return self._launched[key]

    def option_config_values(self, source: str, key: str) -> list[str]:
        """Values of `key` in the config files a module names (`open('config.yaml')`) and hands to
        `parser.set_defaults(**config)`: the defaults of its options."""
        names = {os.path.basename(m.group(1)) for m in CONFIG_NAME.finditer(source)}
        found: list[str] = []
        for path in sorted(self._configs, key=_config_order):
            if os.path.basename(path) not in names:
                continue
            data = self._config(path)
            value = data.get(key) if isinstance(data, dict) else None
            if isinstance(value, str) and _literal(value) and value not in found:
                found.append(value)
        return found  # read under _cli_default, whose "cli" dependency covers it

    def _config_key_values(self, key: str) -> list[str]:
        """String values of another key (one a load's argument reads, `settings["model_string"]`) in the
        config files that mention it."""
        if key not in self._extra_keys:
            found: list[str] = []
            needle = key.encode()
            for path in sorted(self._configs, key=_config_order):
                data = self._configs[path]()
                if needle not in data.lower():
                    continue
                for k, v in _config_pairs(self._config(path), keys=frozenset({key})):
                    if v not in found:
                        found.append(v)
            self._extra_keys[key] = found
        return self._extra_keys[key]


def may_declare_coding(data: bytes) -> bool:
    """Whether the first two lines may hold a PEP 263 coding cookie (then the text may be decoded with another
    codec than UTF-8 or Latin-1, the two under which an ASCII string is found in the text iff in the bytes)."""
    end = data.find(b"\n")
    end = data.find(b"\n", end + 1) if end >= 0 else -1
    return b"coding" in (data if end < 0 else data[:end])


def _config_order(path: str) -> tuple[bool, str]:
    """Config files in path order, README commands last (an example is weaker than a shipped script)."""
    return path.lower().endswith("readme.md"), path


def load_config(path: str, data: bytes):
    """Parse a YAML/JSON/TOML/INI file safely (a launch file: its option values); None when it is not valid."""
    try:
        text = data.decode("utf-8")
        if path.lower().endswith(LAUNCH_SUFFIXES):
            return launch_values(text)
        if path.lower().endswith(INI_SUFFIXES):
            return ini_values(text)
        if path.endswith(".json"):
            return json.loads(text)
        if path.endswith(".toml"):
            return tomllib.loads(text)
        return safeyaml.load(text)  # an alias bomb or a giant integer is refused, not walked
    except (ValueError, yaml.YAMLError, RecursionError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None


def _config_pairs(data, depth: int = 0, keys: frozenset[str] = MODEL_KEYS):
    """(key, value) for every string value whose key is one of `keys` (model-id keys), at any depth."""
    if depth > 50:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and k.lower() in keys and isinstance(v, str) and _literal(v):
                yield k, v
            elif isinstance(k, str) and k.lower() in keys and isinstance(v, list) and all(isinstance(x, str) for x in v):
                yield from ((k, x) for x in v if _literal(x))  # a launch option given several values
            elif isinstance(v, (dict, list)):
                yield from _config_pairs(v, depth + 1, keys)
    elif isinstance(data, list):
        for item in data:
            yield from _config_pairs(item, depth + 1, keys)


def _children(data, parent: str, key: str, depth: int = 0):
    """String values of `key` in every mapping found under a `parent` key, at any depth."""
    if depth > 50:
        return
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and k.lower() == parent and isinstance(v, dict):
                yield from (x for kk, x in v.items() if isinstance(kk, str) and kk.lower() == key
                            and isinstance(x, str) and _literal(x))
            if isinstance(v, (dict, list)):
                yield from _children(v, parent, key, depth + 1)
    elif isinstance(data, list):
        for item in data:
            yield from _children(item, parent, key, depth + 1)


def _literal(value: str) -> bool:
    """A value written out, not a template filled in elsewhere (`${{ inputs.model }}` of a GitHub workflow,
    `{{ cookiecutter.model }}`, an OmegaConf `${model.name}`)."""
    return bool(value) and "{{" not in value and "${" not in value


def is_config(path: str) -> bool:
    name = os.path.basename(path).lower()
    return name.endswith(CONFIG_SUFFIXES) and not name.startswith("package")
