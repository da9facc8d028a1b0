"""The analysis stage: the paper's tables and figures (`report`), the Table 3 research questions as SQL
(`query`), Datasette browsing (`browse`) and Parquet/CSV export (`export`)."""

from .report import write_report as report

__all__ = ["report"]
