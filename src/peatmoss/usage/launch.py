"""Values a repository's launch files and INI configs give: `run.sh --model_name_or_path org/m`, a Dockerfile
`ENV MODEL_NAME=org/m`, a Makefile or .env assignment, a command in the README, `[model] name = org/m`.

Each file becomes a dict the config lookup walks like a parsed YAML file: option or variable name (dashes as
underscores) -> value; a name given twice keeps a list of its values. Nothing is run; `$VAR` / `${VAR}` is
replaced only by a value the same file assigns."""

from __future__ import annotations

import configparser
import re

LAUNCH_SUFFIXES = (".sh", ".env", "dockerfile", "makefile", "readme.md")
INI_SUFFIXES = (".ini", ".cfg")
_VALUE = r"""("[^"\n]*"|'[^'\n]*'|[^\s\\;|&>`)]+)"""
_FLAG = re.compile(r"(?<![\w-])--([A-Za-z][\w-]*)(?:=|[ \t]+)" + _VALUE)
_ASSIGN = re.compile(r"^[ \t]*(?:export[ \t]+)?([A-Za-z_]\w*)[ \t]*(?:\?=|:=|=)[ \t]*" + _VALUE, re.M)
_DOCKER = re.compile(r"^[ \t]*(?:ENV|ARG)[ \t]+([A-Za-z_]\w*)(?:=|[ \t]+)" + _VALUE, re.M)
_SHORT = re.compile(r"(?<![\w-])(-[A-Za-z])(?:=|[ \t]+)" + _VALUE)  # `-m org/model`
_VAR = re.compile(r"\$\{?(\w+)\}?|\$\((\w+)\)")


def launch_assignments(text: str) -> dict[str, str]:
    """Variables a launch file assigns (`NAME=v`, `export NAME=v`, Dockerfile `ENV`/`ARG`), first value kept."""
    assigned: dict[str, str] = {}
    for name, value in _ASSIGN.findall(text) + _DOCKER.findall(text):
        assigned.setdefault(name, _unquote(value))
    return assigned


def launch_values(text: str) -> dict[str, str | list[str]]:
    """Option and variable values of a shell script, Dockerfile, Makefile, .env file or README."""
    assigned = launch_assignments(text)
    out: dict[str, str | list[str]] = {}

    def put(key: str, value: str) -> None:
        value = _VAR.sub(lambda m: assigned.get(m.group(1) or m.group(2), m.group(0)), _unquote(value))
        if not value or "$" in value or value.startswith("-"):
            return
        key = key.replace("-", "_")
        old = out.get(key)
        if old is None:
            out[key] = value
        elif value not in (old if isinstance(old, list) else [old]):
            out[key] = (old if isinstance(old, list) else [old]) + [value]

    for name, value in assigned.items():
        put(name, value)
    for key, value in _FLAG.findall(text):
        put(key, value)
    return out


def script_options(text: str, script: str) -> dict[str, list[str]]:
    """Option values of the commands in a launch file that run `script` (a file name, `infer.py`), by option
    name (dashes as underscores; a short flag keeps its dash, `-m`); `$VAR` is replaced by a value the file
    assigns."""
    text = re.sub(r"\\\r?\n", " ", text)  # join continued lines: one command per line
    assigned = launch_assignments(text)
    commands = "\n".join(ln for ln in text.splitlines()
                          if re.search(rf"(?<![\w.-]){re.escape(script)}(?![\w.-])", ln))
    found: dict[str, list[str]] = {}
    for key, value in _FLAG.findall(commands) + _SHORT.findall(commands):
        value = _VAR.sub(lambda m: assigned.get(m.group(1) or m.group(2), m.group(0)), _unquote(value))
        if value and "$" not in value and not value.startswith("-"):
            values = found.setdefault(key if key.startswith("-") else key.replace("-", "_"), [])
            if value not in values:
                values.append(value)
    return found


def ini_values(text: str) -> dict | None:
    """Sections of an INI/CFG file as nested dicts; None when it does not parse."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return {s: dict(parser.items(s)) for s in parser.sections()}


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value
