"""`peatmoss bom PATH --format spdx`: the models a repository loads as SPDX 3.0.1 JSON-LD with the AI profile
(spdx-python-model): one `ai_AIPackage` per model with its package URL and a `hasConcludedLicense`
relationship to its SPDX license expression, and the repository as the root package that depends on them."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from spdx_python_model import v3_0_1 as spdx

from .bom import model_purl
from .check import CheckReport
from .normalize import NONE


def _tool_version() -> str:
    try:
        return version("peatmoss")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def spdx_document(report: CheckReport) -> dict:
    """The SPDX 3.0.1 JSON-LD document of a check report, as a dict."""
    root = Path(report.path).resolve()
    base = f"https://spdx.org/spdxdocs/peatmoss/{root.name}-" + hashlib.sha256(
        json.dumps(report.as_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]
    tool = spdx.Tool(_id=f"{base}#tool", name=f"peatmoss {_tool_version()}")
    author = spdx.Organization(_id=f"{base}#creator", name="peatmoss")
    info = spdx.CreationInfo(_id="_:creationinfo", specVersion="3.0.1", created=datetime.now(timezone.utc),
                             createdBy=[author], createdUsing=[tool])
    tool.creationInfo = info
    author.creationInfo = info
    objects: list = [tool, author]
    app = spdx.software_Package(_id=f"{base}#repository", name=root.name, creationInfo=info,
                                software_primaryPurpose=spdx.software_SoftwarePurpose.application)
    objects.append(app)

    def license_of(element, expr: str | None, n: str) -> None:
        if not expr or expr == NONE:
            return
        lic = spdx.simplelicensing_LicenseExpression(_id=f"{base}#license-{n}", creationInfo=info,
                                                     simplelicensing_licenseExpression=expr)
        rel = spdx.Relationship(_id=f"{base}#rel-license-{n}", creationInfo=info, from_=element, to=[lic],
                                relationshipType=spdx.RelationshipType.hasConcludedLicense)
        objects.extend([lic, rel])

    license_of(app, report.repo_license.expression, "repository")
    models = []
    for i, m in enumerate(report.models):
        pkg = spdx.ai_AIPackage(_id=f"{base}#model-{i}", name=m.model, creationInfo=info,
                                software_primaryPurpose=spdx.software_SoftwarePurpose.model)
        if m.info and m.info.hub_url:
            pkg.software_downloadLocation = m.info.hub_url
        purl = model_purl(m)
        if purl is not None:
            pkg.software_packageUrl = purl.to_string()
        if m.revision:
            pkg.software_packageVersion = m.revision
        card = m.info.card if m.info else {}
        if card.get("task"):
            pkg.ai_domain = [str(card["task"])]
        if card.get("architecture"):
            pkg.ai_typeOfModel = [str(card["architecture"])]
        if card.get("limitations"):
            pkg.ai_limitation = str(card["limitations"])[:2000]
        pkg.comment = f"license verdict: {m.verdict.verdict}; {m.verdict.reason}"[:2000]
        objects.append(pkg)
        models.append(pkg)
        license_of(pkg, m.info.license.expression if m.info else None, f"model-{i}")
    if models:
        objects.append(spdx.Relationship(_id=f"{base}#rel-models", creationInfo=info, from_=app, to=models,
                                         relationshipType=spdx.RelationshipType.dependsOn))
    doc = spdx.SpdxDocument(_id=f"{base}#document", name=f"peatmoss models of {root.name}", creationInfo=info,
                            rootElement=[app], element=[o for o in objects],
                            profileConformance=[spdx.ProfileIdentifierType.core, spdx.ProfileIdentifierType.software,
                                                spdx.ProfileIdentifierType.simpleLicensing,
                                                spdx.ProfileIdentifierType.ai],
                            dataLicense=spdx.simplelicensing_LicenseExpression(
                                _id=f"{base}#data-license", creationInfo=info,
                                simplelicensing_licenseExpression="CC0-1.0"))
    out = io.BytesIO()
    spdx.JSONLDSerializer().write(spdx.SHACLObjectSet([doc, *objects]), out)
    return json.loads(out.getvalue())
