"""What `gktool serve` keeps in its data folder: SQLite for units, tokens and submissions,
uploaded files beside it under generated names, and links.csv for the office.

Layout of the data folder:
  gktool-serve.sqlite3   units (roster name, capability token), submissions (one row per upload)
  files/                 every upload, named <random hex><suffix>; never the uploaded name
  tmp/                   uploads being received or checked; emptied on start
  cache/                 generated blank workbooks, Word reports, 汇总 workbooks; emptied on start
  links.csv              unit,url — one link per roster unit, plus 管理 (the board)
"""

from __future__ import annotations

import contextlib
import csv
import datetime as _dt
import hashlib
import io
import json
import os
import re
import secrets
import sqlite3
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ..collect import read_roster as read_workbook_roster
from ..errors import GkError
from ..findings import status_word
from ..fsutil import atomic_output

DB_NAME = "gktool-serve.sqlite3"
BOARD = "管理"  # the links.csv row of the office's board
TOKEN_BYTES = 32  # 256 bits: a capability link cannot be guessed
MAX_NAME = 200  # longest uploaded file name kept for display

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    received TEXT NOT NULL,
    filename TEXT NOT NULL,
    stored TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    ok INTEGER NOT NULL,
    unreadable INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    kind TEXT,
    format TEXT,
    file_unit TEXT,
    file_year INTEGER,
    result TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_unit ON submissions(unit_id, id);
"""


@dataclass(frozen=True)
class Unit:
    """A unit on the roster with its private link token."""

    id: int
    name: str
    token: str


@dataclass(frozen=True)
class Submission:
    """One uploaded file of a unit and its verdict."""

    id: int
    unit_id: int
    received: str
    filename: str
    stored: str
    size: int
    sha256: str
    ok: bool
    unreadable: bool
    errors: int
    warnings: int
    kind: str | None
    format: str | None
    file_unit: str | None
    file_year: int | None
    result: str  # the JSON line of `gktool validate --format json`

    @property
    def verdict(self) -> str:
        """结论 in the words of `gktool collect`."""
        # no error, yet not ok: gktool could not read some printed numbers (P3)
        return status_word(self.unreadable, self.errors, not self.ok, self.warnings)

    @property
    def shown_time(self) -> str:
        return self.received[:19].replace("T", " ")

    def findings(self) -> list[dict]:
        return json.loads(self.result)["findings"]


def token_digest(token: str) -> bytes:
    """Tokens are looked up by their digest, so lookup time says nothing about a token's text."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()


def display_name(filename: str | None) -> str:
    """An uploaded file's name for showing only: last path part, one line, bounded length."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[:MAX_NAME] or "上传的文件"


def stored_suffix(filename: str) -> str:
    """The suffix a stored upload keeps (readers look at it): letters and digits only, else none."""
    suffix = os.path.splitext(display_name(filename))[1].lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,8}", suffix) else ""


def read_roster(path: str | Path) -> list[str]:
    """Unit names: a text file, one a line (UTF-8 with or without BOM, or GB18030 as Notepad saves
    it), or a workbook read as `gktool collect` reads one (the column headed 单位/名称)."""
    p = Path(path)
    if p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"):
        return _checked(path, read_workbook_roster(p).names)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise GkError(f"名单文件“{path}”不存在，请检查路径") from None
    except IsADirectoryError:
        raise GkError(f"名单“{path}”是一个文件夹，请给出名单文件（每行一个单位）") from None
    except OSError as exc:
        raise GkError(f"无法读取名单文件“{path}”（{exc.strerror or exc}）") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise GkError(f"名单文件“{path}”不是文本文件，请另存为 UTF-8 文本，每行一个单位")
    return _checked(path, [line for line in text.splitlines() if not line.strip().startswith("#")])


def _checked(path, lines: list[str]) -> list[str]:
    """The roster's names, each once; a name that cannot be a unit is one clear line."""
    names, seen = [], set()
    for line in lines:
        name = " ".join(line.split())
        if not name:
            continue
        if any(unicodedata.category(ch)[0] == "C" for ch in name) or len(name) > MAX_NAME:
            raise GkError(f"名单文件“{path}”中有无法识别的行，请另存为 UTF-8 文本，每行一个单位")
        if name == BOARD:
            raise GkError(f"名单中的“{BOARD}”是管理页面专用的名称，请改用单位全称")
        if name in seen:
            raise GkError(f"名单中“{name}”出现了不止一次，请删去重复的行")
        seen.add(name)
        names.append(name)
    if not names:
        raise GkError(f"名单文件“{path}”中没有单位，请每行写一个单位名称")
    return names


def now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


class Storage:
    """The data folder. Thread-safe: one SQLite connection behind a lock (writes are tiny)."""

    def __init__(self, folder: str | Path, roster: list[str]):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for sub in ("files", "tmp", "cache"):
                (self.folder / sub).mkdir(exist_ok=True)
        except OSError as exc:
            raise GkError(f"无法使用数据目录“{folder}”（{exc.strerror or exc}），请换一个位置") from None
        self.files = self.folder / "files"
        self.tmp = self.folder / "tmp"
        self.cache = self.folder / "cache"
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.folder / DB_NAME, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a submission answered is a submission kept
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise GkError(
                f"数据目录中的数据库“{self.folder / DB_NAME}”无法打开（{exc}），请检查或换一个数据目录"
            ) from None
        self._db.row_factory = sqlite3.Row
        self.roster = list(roster)
        self._sync_roster()
        self._tidy()

    # ------------------------------------------------------------ units and tokens
    def _sync_roster(self) -> None:
        with self._lock, self._transaction():
            have = {r["name"] for r in self._db.execute("SELECT name FROM units")}
            for name in self.roster:
                if name not in have:  # a unit keeps its token for ever; new units get a new one
                    self._db.execute(
                        "INSERT INTO units(name, token, created) VALUES (?,?,?)",
                        (name, secrets.token_urlsafe(TOKEN_BYTES), now()),
                    )
            if self._db.execute("SELECT 1 FROM meta WHERE key='board_token'").fetchone() is None:
                self._db.execute(
                    "INSERT INTO meta(key, value) VALUES ('board_token', ?)", (secrets.token_urlsafe(TOKEN_BYTES),)
                )
            rows = self._db.execute("SELECT id, name, token FROM units").fetchall()
            self.board_token = self._db.execute("SELECT value FROM meta WHERE key='board_token'").fetchone()[0]
        on_roster = set(self.roster)
        # Units dropped from the roster keep their rows (and files) but their links stop working.
        self.units = {r["name"]: Unit(r["id"], r["name"], r["token"]) for r in rows if r["name"] in on_roster}
        self.units_by_id = {u.id: u for u in self.units.values()}
        self._by_digest = {token_digest(u.token): u for u in self.units.values()}
        self._board_digest = token_digest(self.board_token)

    def who(self, token: str) -> Unit | str | None:
        """The unit a token opens, BOARD for the office's token, None for anything else."""
        digest = token_digest(token)
        if secrets.compare_digest(digest, self._board_digest):
            return BOARD
        return self._by_digest.get(digest)

    def write_links(self, base_url: str) -> Path:
        """links.csv: UTF-8 with BOM (Excel opens it in Chinese), header unit,url, roster order, then 管理."""
        base = base_url.rstrip("/") + "/"
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\r\n")
        w.writerow(["unit", "url"])
        for name in self.roster:
            w.writerow([name, f"{base}k/{self.units[name].token}/"])
        w.writerow([BOARD, f"{base}k/{self.board_token}/"])
        path = self.folder / "links.csv"
        with atomic_output(path, force=True) as tmp:
            tmp.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)  # the links are the keys: only the office account reads them
        return path

    # ------------------------------------------------------------ submissions
    def add_submission(
        self, unit: Unit, filename: str, stored: str, size: int, sha256: str, result_json: str, unreadable: bool
    ) -> int:
        """Record one checked upload (its file is already in files/); returns its id."""
        result = json.loads(result_json)
        with self._lock, self._transaction():
            cur = self._db.execute(
                "INSERT INTO submissions(unit_id, received, filename, stored, size, sha256, ok, unreadable,"
                " errors, warnings, kind, format, file_unit, file_year, result)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    unit.id,
                    now(),
                    filename,
                    stored,
                    size,
                    sha256,
                    int(result["ok"]),
                    int(unreadable),
                    result["errors"],
                    result["warnings"],
                    result.get("kind"),
                    result.get("format"),
                    result.get("unit"),
                    result.get("year"),
                    result_json,
                ),
            )
            return cur.lastrowid

    def submission(self, sid: int) -> Submission | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM submissions WHERE id=?", (sid,)).fetchone()
        return _submission(row) if row else None

    def submissions(self, unit_id: int) -> list[Submission]:
        """A unit's uploads, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM submissions WHERE unit_id=? ORDER BY id DESC", (unit_id,)).fetchall()
        return [_submission(r) for r in rows]

    def latest(self) -> dict[int, tuple[Submission, int]]:
        """Each unit's newest upload and its number of uploads."""
        with self._lock:
            rows = self._db.execute(
                "SELECT s.*, c.n FROM submissions s JOIN (SELECT unit_id, MAX(id) AS top, COUNT(*) AS n"
                " FROM submissions GROUP BY unit_id) c ON s.id = c.top"
            ).fetchall()
        return {r["unit_id"]: (_submission(r), r["n"]) for r in rows}

    def latest_passing(self) -> dict[int, Submission]:
        """Each unit's newest upload without errors (what the 汇总 sums)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT s.* FROM submissions s JOIN (SELECT unit_id, MAX(id) AS top FROM submissions"
                " WHERE ok=1 GROUP BY unit_id) c ON s.id = c.top"
            ).fetchall()
        return {r["unit_id"]: _submission(r) for r in rows}

    def path_of(self, sub: Submission) -> Path:
        return self.files / sub.stored

    # ------------------------------------------------------------ housekeeping
    @contextlib.contextmanager
    def _transaction(self):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _tidy(self) -> None:
        """Remove what an interrupted run left: half-received uploads, stale caches, and files
        moved into files/ whose submission was never recorded."""
        for folder in (self.tmp, self.cache):
            for p in folder.iterdir():
                with contextlib.suppress(OSError):
                    p.unlink()
        with self._lock:
            known = {r[0] for r in self._db.execute("SELECT stored FROM submissions")}
        for p in self.files.iterdir():
            if p.name not in known:
                with contextlib.suppress(OSError):
                    p.unlink()

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _submission(row) -> Submission:
    return Submission(
        row["id"],
        row["unit_id"],
        row["received"],
        row["filename"],
        row["stored"],
        row["size"],
        row["sha256"],
        bool(row["ok"]),
        bool(row["unreadable"]),
        row["errors"],
        row["warnings"],
        row["kind"],
        row["format"],
        row["file_unit"],
        row["file_year"],
        row["result"],
    )
