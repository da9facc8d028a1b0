"""The license stage: license strings -> SPDX expressions, repository license detection, and
compatibility verdicts of PTM -> repository dependencies and model lineage.

Modules: normalize (SPDX expressions), families (license kinds), osadl and mlrules (rule tables),
engine (verdict), paper (the PeaTMOSS paper's method), reanalysis (the paper's relations, our rules),
detect/textmatch (repository license from files), analyze (the database), lineage (drift and chains),
sankey (Figure 12), check and bom (a repository's gate and its CycloneDX ML-BOM), cli, demo.
"""

from .detect import FolderTree, RepoTree, detect_repo_license, detect_repository_license  # first: usage imports it
from .analyze import AnalyzeResult, analyze
from .check import CheckReport, check
from .engine import Context, Verdict, verdict
from .normalize import hub_license_id, normalize

__all__ = ["AnalyzeResult", "CheckReport", "Context", "FolderTree", "RepoTree", "Verdict", "detect_repo_license", "detect_repository_license",
           "analyze", "check", "hub_license_id", "normalize", "verdict"]
