"""gktool: the government information-disclosure annual report, Excel-native.

The library is the product; the `gktool` command is one client of it::

    import gktool
    report, file_findings = gktool.read_report("某县2023年报告.xlsx")   # any workbook, .xls, .ods, ...
    findings = file_findings + gktool.check_report(report)
    for f in findings:
        print(f.rule, f.severity, f.sheet, f.cells, f.message)
"""

from .checks.content import check_report  # noqa: E402
from .errors import GkError  # noqa: E402
from .findings import Finding, Result  # noqa: E402
from .model import Analysis, FilledReport, Place  # noqa: E402
from .readers import read_report  # noqa: E402
from .spec import Spec, load_spec  # noqa: E402
from .validate import check_file, check_files, validate_files  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = [
    "Analysis",
    "FilledReport",
    "Finding",
    "GkError",
    "Place",
    "Result",
    "Spec",
    "check_file",
    "check_files",
    "check_report",
    "load_spec",
    "read_report",
    "validate_files",
    "__version__",
]
