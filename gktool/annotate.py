"""`gktool annotate`: check a file and send it back to its unit with each finding on its cell.

The copy is written by writers/annotation.py; `collect --annotate` writes one per file through `Folder`."""

from __future__ import annotations

from pathlib import Path

from .errors import GkError
from .fsutil import shown_path
from .model import Analysis
from .validate import check_file
from .writers.annotation import SUFFIX, Annotated, annotate_analysis


def annotate_file(
    path: str | Path, output: str | Path | None = None, force: bool = False, format_name: str | None = None
) -> Annotated:
    """Check `path` and write the unit's copy with the findings on its cells (or a findings workbook)."""
    p = Path(path)
    if not p.exists():
        raise GkError(f"{shown_path(path)}：文件不存在，请检查路径和文件名")
    if p.is_dir():
        raise GkError(f"{shown_path(path)}：这是一个文件夹；请给出一个文件，或用 gktool collect --annotate 处理文件夹")
    return annotate_analysis(check_file(p, format_name), output, force)


class Folder:
    """Annotated copies for many files written into one folder (gktool collect --annotate).

    Two submissions may share a file name (the same name in different sub-folders), so each
    output name is made unique within the run; an existing file is never replaced without `force`."""

    def __init__(self, folder: str | Path, force: bool = False):
        self.folder = Path(folder)
        self.force = force
        self.taken: set[str] = set()
        self.written: list[Annotated] = []
        self.failed: list[str] = []  # one Chinese line per file that could not be written
        if self.folder.exists() and not self.folder.is_dir():
            raise GkError(f"“{self.folder}”不是文件夹，请给出保存检查意见的文件夹")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise GkError(f"无法创建文件夹“{self.folder}”（{exc.strerror or exc}），请换一个位置") from None

    def _target(self, source: str) -> Path:
        stem = Path(source).stem
        name, n = f"{stem}{SUFFIX}.xlsx", 2
        while name in self.taken:
            name, n = f"{stem}{SUFFIX}（{n}）.xlsx", n + 1
        self.taken.add(name)
        return self.folder / name

    def add(self, analysis: Analysis) -> Annotated | None:
        """Write the copy for one checked file if it has findings (unreadable files have no copy)."""
        result = analysis.result
        if result.unreadable or not result.findings:
            return None
        try:
            done = annotate_analysis(analysis, self._target(result.file), self.force)
        except GkError as exc:
            self.failed.append(exc.message)
            return None
        self.written.append(done)
        return done
