"""`peatmoss bom PATH`: a CycloneDX 1.6 ML-BOM of the models a repository loads and of its Python dependencies
(cyclonedx-python-lib), validated against the CycloneDX 1.6 JSON schema. Hub models carry
`pkg:huggingface/<namespace>/<name>@<revision>` package URLs (the revision when the code pins one), models
from bundled facts the package URL of their source; `modelCard` holds the card facts the lookup found."""

from __future__ import annotations

import json
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.license import LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from packageurl import PackageURL
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from .check import check
from .normalize import NONE


def _licenses(expr: str | None) -> list[LicenseExpression]:
    return [LicenseExpression(expr)] if expr and expr != NONE else []


def _tool() -> Component:
    try:
        ours = version("peatmoss")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree without metadata
        ours = None
    return Component(name="peatmoss", type=ComponentType.APPLICATION, version=ours,
                     purl=PackageURL(type="pypi", name="peatmoss", version=ours))


def model_purl(m) -> PackageURL | None:
    """pkg:huggingface for Hub repositories (purl spec: namespace, name, version = revision), else the
    package URL of the bundled fact."""
    info = m.info
    if info is None:
        return None
    if info.purl:
        purl = PackageURL.from_string(info.purl)
        return purl._replace(version=m.revision) if m.revision and not purl.version else purl
    on_hub = info.source in ("database", "hub-data", "cache", "hub") or bool(info.fact and info.fact["hub_id"])
    if info.status == "found" and info.canonical and on_hub and "://" not in info.canonical and info.canonical.count("/") <= 1:
        ns, _, name = info.canonical.rpartition("/")
        return PackageURL(type="huggingface", namespace=ns or None, name=name,
                          version=m.revision.lower() if m.revision else None)
    return None


def model_card(card: dict) -> dict | None:
    """A CycloneDX 1.6 `modelCard` from card facts (task, architecture, datasets, limitations)."""
    params = {}
    if card.get("task"):
        params["task"] = str(card["task"])
    if card.get("architecture"):
        params["modelArchitecture"] = str(card["architecture"])
    datasets = [d for d in card.get("datasets") or [] if isinstance(d, str) and d]
    if datasets:
        params["datasets"] = [{"type": "dataset", "name": d} for d in datasets]
    out: dict = {"modelParameters": params} if params else {}
    limits = card.get("limitations")
    if limits:
        out["considerations"] = {"technicalLimitations": [str(x) for x in (limits if isinstance(limits, list) else [limits])]}
    return out or None


def python_dependencies(root: Path) -> list[tuple[str, str | None, str]]:
    """(name, pinned version or None, file) for the requirements files and pyproject.toml of a repository."""
    found: dict[str, tuple[str, str | None, str]] = {}

    def add(text: str, where: str) -> None:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            return
        pins = [s.version for s in req.specifier if s.operator in ("==", "===") and "*" not in s.version]
        key = canonicalize_name(req.name)
        if key not in found or (pins and not found[key][1]):
            found[key] = (key, pins[0] if len(pins) == 1 else None, where)

    files = sorted(root.glob("requirements*.txt")) + sorted(root.glob("requirements/*.txt"))
    for file in files:
        for line in file.read_text(encoding="utf-8", errors="replace").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith(("#", "-")):
                add(line, file.relative_to(root).as_posix())
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project") or {}
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            project = {}
        for dep in project.get("dependencies") or []:
            if isinstance(dep, str):
                add(dep, "pyproject.toml")
    return sorted(found.values())


def build_bom(path: str | Path, url: str | None = None, hub_data: Path | None = None, *, endpoint: str | None = None,
              offline: bool = True, refresh: bool = False) -> tuple[dict, list[str]]:
    """(the ML-BOM as a dict, validation errors); each model loaded is a machine-learning-model component,
    each declared Python dependency a library component."""
    report = check(path, url=url, hub_data=hub_data, endpoint=endpoint, offline=offline, refresh=refresh)
    root = Path(path).resolve()
    det = report.repo_license
    bom = Bom()
    bom.metadata.tools = ToolRepository(components=[_tool()])
    bom.metadata.component = Component(
        name=root.name, type=ComponentType.APPLICATION, bom_ref=f"repo:{root.name}", licenses=_licenses(det.expression),
        properties=[Property(name="peatmoss:license:detection", value=det.reason[:500])]
        + ([Property(name="peatmoss:license:conflict", value=det.conflict)] if det.conflict else []))
    cards: dict[str, dict] = {}
    for m in report.models:
        expr = m.info.license.expression if m.info else None
        props = [Property(name="peatmoss:license:verdict", value=m.verdict.verdict),
                 Property(name="peatmoss:license:reason", value=m.verdict.reason[:1000]),
                 Property(name="peatmoss:license:source", value=m.info.source if m.info else "none")]
        if m.info and m.info.status != "found":
            props.append(Property(name="peatmoss:lookup:status", value=m.info.status))
        if m.info and m.info.fact:
            props += [Property(name="peatmoss:license:applies", value=m.info.fact["applies"]),
                      Property(name="peatmoss:license:read-at", value=m.info.fact["source_url"])]
        if m.info and m.info.sha and not m.revision:
            props.append(Property(name="peatmoss:hub:sha", value=m.info.sha))
        if m.verdict.condition:
            props.append(Property(name="peatmoss:license:condition", value=m.verdict.condition))
        if expr is None:
            props.append(Property(name="peatmoss:license:unrecognised", value=m.info.license.reason if m.info else ""))
        elif expr == NONE:
            props.append(Property(name="peatmoss:license:none", value="the model declares no license"))
        if m.hub:
            props.append(Property(name="peatmoss:hub", value=m.hub))
        if m.info and m.info.card.get("parameters"):
            props.append(Property(name="peatmoss:model:parameters", value=str(m.info.card["parameters"])))
        refs = [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(m.info.hub_url))] \
            if m.info and m.info.hub_url else []
        evidence = ComponentEvidence(occurrences=[Occurrence(location=f, line=max(1, ln or 1)) for f, ln in m.locations])
        ref = f"model:{m.model}@{m.revision or 'main'}"
        component = Component(
            name=m.model, type=ComponentType.MACHINE_LEARNING_MODEL, version=m.revision or None, bom_ref=ref,
            purl=model_purl(m), licenses=_licenses(expr), external_references=refs, evidence=evidence,
            properties=props)
        bom.components.add(component)
        bom.register_dependency(bom.metadata.component, [component])
        card = model_card(m.info.card) if m.info else None
        if card:
            cards[ref] = card
    for name, pinned, where in python_dependencies(root):
        component = Component(name=name, type=ComponentType.LIBRARY, version=pinned, bom_ref=f"pypi:{name}",
                              purl=PackageURL(type="pypi", name=name, version=pinned),
                              properties=[Property(name="peatmoss:declared-in", value=where)])
        bom.components.add(component)
        bom.register_dependency(bom.metadata.component, [component])
    data = json.loads(JsonV1Dot6(bom).output_as_string())
    for comp in data.get("components", []):  # cyclonedx-python-lib has no model for modelCard yet
        if comp.get("bom-ref") in cards:
            comp["modelCard"] = cards[comp["bom-ref"]]
    text = json.dumps(data, indent=2)
    return data, validate(text)


def validate(text: str) -> list[str]:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    return [] if error is None else [str(error)]
