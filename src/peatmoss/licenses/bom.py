"""`peatmoss bom PATH`: a CycloneDX 1.6 ML-BOM of the models a repository loads (cyclonedx-python-lib),
validated against the CycloneDX 1.6 JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

from cyclonedx.model import ExternalReference, ExternalReferenceType, Property, XsUri
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.component_evidence import ComponentEvidence, Occurrence
from cyclonedx.model.license import LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from .check import check
from .normalize import NONE


def _licenses(expr: str | None) -> list[LicenseExpression]:
    return [LicenseExpression(expr)] if expr and expr != NONE else []


def build_bom(path: str | Path, url: str | None = None, hub_data: Path | None = None) -> tuple[dict, list[str]]:
    """(the ML-BOM as a dict, validation errors); each model loaded is a machine-learning-model component."""
    report = check(path, url=url, hub_data=hub_data)
    root = Path(path).resolve()
    det = report.repo_license
    bom = Bom()
    bom.metadata.component = Component(
        name=root.name, type=ComponentType.APPLICATION, bom_ref=f"repo:{root.name}", licenses=_licenses(det.expression),
        properties=[Property(name="peatmoss:license:detection", value=det.reason[:500])]
        + ([Property(name="peatmoss:license:conflict", value=det.conflict)] if det.conflict else []))
    for m in report.models:
        expr = m.info.license.expression if m.info else None
        props = [Property(name="peatmoss:license:verdict", value=m.verdict.verdict),
                 Property(name="peatmoss:license:reason", value=m.verdict.reason[:1000]),
                 Property(name="peatmoss:license:source", value=m.info.source if m.info else "none")]
        if m.verdict.condition:
            props.append(Property(name="peatmoss:license:condition", value=m.verdict.condition))
        if expr is None:
            props.append(Property(name="peatmoss:license:unrecognised", value=m.info.license.reason if m.info else ""))
        elif expr == NONE:
            props.append(Property(name="peatmoss:license:none", value="the model declares no license"))
        if m.hub:
            props.append(Property(name="peatmoss:hub", value=m.hub))
        refs = [ExternalReference(type=ExternalReferenceType.DISTRIBUTION, url=XsUri(m.info.hub_url))] \
            if m.info and m.info.hub_url else []
        evidence = ComponentEvidence(occurrences=[Occurrence(location=f, line=max(1, ln or 1)) for f, ln in m.locations])
        bom.components.add(Component(
            name=m.model, type=ComponentType.MACHINE_LEARNING_MODEL, version=m.revision or None,
            bom_ref=f"model:{m.model}@{m.revision or 'main'}", licenses=_licenses(expr),
            external_references=refs, evidence=evidence, properties=props))
        bom.register_dependency(bom.metadata.component, [c for c in bom.components if c.name == m.model])
    text = JsonV1Dot6(bom).output_as_string(indent=2)
    errors = validate(text)
    return json.loads(text), errors


def validate(text: str) -> list[str]:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(text)
    return [] if error is None else [str(error)]
