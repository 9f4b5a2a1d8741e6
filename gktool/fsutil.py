"""Writing outputs safely: to a temporary file beside the target, then into place."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import GkError

_LINE_BREAKING = {i for i in range(32) if i != 9} | {0x7F, 0x85, 0x2028, 0x2029}


def shown_path(path) -> str:
    """The path as a message shows it: on one line, whatever the file is called."""
    return str(path).translate(dict.fromkeys(_LINE_BREAKING, "?"))


def _exists(path: Path) -> GkError:
    return GkError(f"文件“{path}”已存在，未覆盖；如确需覆盖请加 --force，或用 -o 指定其他文件名")


def check_target(path: Path, force: bool) -> None:
    if path.is_dir():
        raise GkError(f"输出路径“{path}”是一个文件夹，请给出文件名")
    if path.exists() and not force:
        raise _exists(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise GkError(f"输出文件夹“{folder}”不存在，请先创建或换一个位置")
    if not os.access(folder, os.W_OK):
        raise GkError(f"没有权限在“{folder}”中写入文件，请换一个位置")


@contextlib.contextmanager
def atomic_output(path: Path, force: bool = False):
    """Yield a temporary path in the target folder; on success move it to `path`.

    Without `force` an existing file is never replaced, even one that appears
    while we write (os.link fails if the name exists). On any failure the
    temporary file is removed, so no partial output is ever left behind.
    """
    path = Path(path)
    check_target(path, force)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".gktool-", suffix=path.suffix, dir=path.parent or ".")
    except OSError as exc:
        raise GkError(f"无法在“{path.parent}”中写入文件（{exc.strerror or exc}），请换一个位置") from None
    os.close(fd)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs are ordinary files
        yield Path(tmp)
        if force:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise _exists(path) from None
            except OSError:  # file systems without hard links
                if path.exists():
                    raise _exists(path) from None
                os.replace(tmp, path)
    except GkError:
        raise
    except PermissionError as exc:
        raise GkError(f"无法写入“{path}”：没有权限（{exc.strerror}）") from None
    except OSError as exc:
        raise GkError(f"无法写入“{path}”：{exc.strerror or exc}，请检查磁盘空间和文件夹后重试") from None
    except Exception as exc:
        cause = exc.__cause__ or exc.__context__
        if isinstance(cause, OSError):  # a writer's wrapper round a write error (xlsxwriter's FileCreateError)
            raise GkError(f"无法写入“{path}”：{cause.strerror or cause}，请检查磁盘空间和文件夹后重试") from None
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def read_start(
    path, *, not_folder: str, not_special: str, max_bytes: int | None = None, too_big: str = "", limit: int = 4096
) -> tuple[int, bytes]:
    """Every reader's pre-check: the size and first `limit` bytes of a regular file, or one GkError line naming
    the file (a folder, a missing file, a device or pipe, an empty or oversize file, no permission, a bad path).

    A FIFO is never opened. `not_folder` and `not_special` say what file was expected; `too_big` says how large
    such a file normally is (the size in MB is put before it)."""
    p = Path(path)
    shown = shown_path(path)

    def refuse(why: str) -> GkError:
        return GkError(f"{shown}：{why}")

    try:
        if p.is_dir():
            raise refuse(not_folder)
        if not p.exists():
            raise refuse("文件不存在，请检查路径和文件名")
        if not p.is_file():
            raise refuse(not_special)
        size = p.stat().st_size
        if size == 0:
            raise refuse("文件是空的（0 字节），可能没有保存或下载完整，请重新获取")
        if max_bytes is not None and size > max_bytes:
            raise refuse(f"文件过大（{size // 1024 // 1024} MB），{too_big}")
        with open(p, "rb") as fh:
            return size, fh.read(limit)
    except PermissionError:
        raise refuse("没有读取该文件的权限，请检查文件权限或复制一份后再试") from None
    except OSError as exc:
        raise refuse(f"无法读取文件（{exc.strerror or type(exc).__name__}），请检查路径后重试") from None
    except ValueError:  # e.g. a NUL character in the path
        raise refuse("文件路径无效，请检查路径和文件名") from None
