"""Usage miner: find where Python code loads a pre-trained model and which model id it loads.

Verbs: `scan_files` (all files of one repository), `scan_path` (a local folder) and `mine` (repositories
into the database, -> `MineSummary`).
"""

from .model import FileRecord, Finding, ScanResult, SourceFile
from .mine import MineSummary, mine
from .scan import scan_files, scan_path

__all__ = ["FileRecord", "Finding", "MineSummary", "ScanResult", "SourceFile", "mine", "scan_files", "scan_path"]
