"""Usage miner: find where Python code loads a pre-trained model and which model id it loads.

Verbs: `scan_files` (all files of one repository), `scan_path` (a local folder), `mine` (repositories
into the database, -> `MineSummary`) and `history` (one repository at several commits, -> `CommitScan`s).
"""

from .model import FileRecord, Finding, ScanResult, SourceFile
from .history import CommitScan, history
from .mine import MineSummary, mine
from .scan import scan_files, scan_path

__all__ = ["CommitScan", "FileRecord", "Finding", "MineSummary", "ScanResult", "SourceFile", "history", "mine",
           "scan_files", "scan_path"]
