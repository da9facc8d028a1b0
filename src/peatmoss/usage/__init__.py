"""Usage miner: find where Python code loads a pre-trained model and which model id it loads.

Public API: `scan_files` (all files of one repository) and `scan_path` (a local folder).
"""

from .model import FileRecord, Finding, ScanResult, SourceFile
from .scan import scan_files, scan_path

__all__ = ["FileRecord", "Finding", "ScanResult", "SourceFile", "scan_files", "scan_path"]
