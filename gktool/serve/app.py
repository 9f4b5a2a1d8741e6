"""The web application of `gktool serve` (Starlette): a unit's page, the office's board.

Every page sits under a capability link /k/<token>/: the token alone says who is asking,
so there are no accounts, no cookies and hence no CSRF to guard against. Anything without
a valid token is answered with the same 403 page, so nothing is revealed about which units
or submissions exist. Links inside pages are relative, so the application works unchanged
behind a reverse proxy that serves it under a prefix.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import json
import multiprocessing
import os
import secrets
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import anyio
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..collection import VERDICT_ORDER, Roster
from ..errors import GkError
from ..findings import Finding, Result, errors_first
from . import work
from .storage import BOARD, Storage, Submission, Unit, display_name, stored_suffix

MAX_UPLOAD = 20 * 1024 * 1024  # the largest file a unit may upload
MAX_BODY = MAX_UPLOAD + 64 * 1024  # plus room for the multipart envelope
DRAIN_LIMIT = 64 * 1024 * 1024  # read (and drop) at most this much of a refused upload, so the client hears 413
DRAIN_SECONDS = 30
CHUNK = 1024 * 1024

# The 403 page is one page for every refused address (nothing revealed), so it cannot link the stylesheet
# by a relative path: it carries the site's stylesheet inline, allowed by its hash and nothing else.
_STYLE = (Path(__file__).parent / "static" / "gktool.css").read_text(encoding="utf-8")
_STYLE_HASH = base64.b64encode(hashlib.sha256(_STYLE.encode()).digest()).decode()
CSP = (
    f"default-src 'none'; style-src 'self' 'sha256-{_STYLE_HASH}'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
FORBIDDEN_PAGE = (
    '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
    '<meta name="robots" content="noindex, nofollow">\n'
    f"<title>无法打开 · 政府信息公开工作年度报告报送</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
    '<header class="top"><div class="wrap">政府信息公开工作年度报告报送</div></header>\n<main class="wrap">\n'
    "<h1>无法打开这个页面</h1>\n"
    '<div class="verdict fail" id="message">这个链接不完整、已失效，或者不是本单位的链接。'
    "请打开政务公开办发给本单位的报送链接（完整复制，不要删改）；找不到或打不开时，请向政务公开办索取本单位的链接。</div>\n"
    '</main>\n<footer class="wrap foot">由 gktool 提供。</footer>\n</body>\n</html>\n'
)
VERDICT_CLASS = {"通过": "pass", "有警告": "warn", "不通过": "fail", "无法读取": "fail", "未提交": "none"}


@functools.lru_cache(maxsize=4096)
def other_unit(unit: str, file_unit: str | None) -> bool:
    """The file names a unit that is not the one whose link received it (by collect's name matching,
    so that 县政府办 and ××县人民政府办公室 count as the same)."""
    return bool(file_unit) and Roster([unit]).match(file_unit)[0] is None


class TooLarge(Exception):
    """The request body passed MAX_BODY while it was being received."""


class SecurityHeaders:
    """ASGI middleware: every answer forbids sniffing and framing; pages are never cached."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in (b"cache-control", b"server")
                ]
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", CSP.encode()),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cache-control", b"max-age=3600" if static else b"no-store"),
                ]
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Workers:
    """A process pool for checks and documents; rebuilt if a worker dies (e.g. killed for memory)."""

    def __init__(self, count: int):
        self.count = count
        self.pool: ProcessPoolExecutor | None = None

    def _new(self) -> ProcessPoolExecutor:
        # spawn, not fork: the server has threads, and a forked child would copy their locks
        return ProcessPoolExecutor(self.count, mp_context=multiprocessing.get_context("spawn"))

    def start(self) -> None:
        self.pool = self._new()
        for f in [self.pool.submit(work.warm) for _ in range(self.count)]:
            f.result()

    async def run(self, func, *args):
        """Run `func(*args)` in a worker. A dead worker breaks the whole pool: build a new one and
        try once more, so one lost process does not fail the uploads that happened to be queued."""
        loop = asyncio.get_running_loop()
        for _ in range(2):
            pool = self.pool
            try:
                return await loop.run_in_executor(pool, func, *args)
            except BrokenProcessPool:
                if self.pool is pool:  # the first to notice replaces it; the others just retry
                    self.pool = self._new()
                    pool.shutdown(wait=False, cancel_futures=True)
        raise GkError("检查时处理进程意外退出（文件可能过于复杂），请把这个文件发给 gktool 的维护者")

    def stop(self) -> None:
        if self.pool:
            self.pool.shutdown(wait=True, cancel_futures=True)


def create_app(storage: Storage, year: int, workers: int | None = None, on_ready=None) -> Starlette:
    """The Starlette application over a data folder; worker processes start with the app."""
    env = Environment(loader=PackageLoader("gktool.serve", "templates"), autoescape=select_autoescape(default=True))
    pool = Workers(workers or max(1, min(4, os.cpu_count() or 1)))
    reports: dict[tuple[int, str], str] = {}  # (submission id, format) -> offered name of its cached report
    annotations: dict[int, str] = {}  # submission id -> offered file name of its annotated copy
    summaries: dict[str, str] = {}  # submissions summed -> offered file name of the cached 汇总

    def forbidden() -> Response:
        return HTMLResponse(FORBIDDEN_PAGE, status_code=403)

    def page(request: Request, name: str, status: int = 200, **context) -> HTMLResponse:
        rest = request.url.path.split("/", 3)[3] if request.url.path.count("/") >= 3 else ""
        home = "../" * rest.count("/") or "./"
        html = env.get_template(name).render(
            home=home, static=home + "../../static/", year=year, verdict_class=VERDICT_CLASS, **context
        )
        return HTMLResponse(html, status_code=status)

    def who(request: Request) -> Unit | str | None:
        return storage.who(request.path_params.get("token", ""))

    def message(request: Request, status: int, text: str, wants_json: bool) -> Response:
        if wants_json:
            return Response(
                json.dumps({"error": text}, ensure_ascii=False) + "\n",
                status_code=status,
                media_type="application/json",
            )
        return page(request, "message.html", status, text=text)

    # ------------------------------------------------------------------ pages
    async def home(request: Request) -> Response:
        me = who(request)
        if request.method == "POST":
            if not isinstance(me, Unit):
                return forbidden()
            return await upload(request, me)
        if isinstance(me, Unit):
            subs = await anyio.to_thread.run_sync(storage.submissions, me.id)
            return page(request, "unit.html", unit=me, submissions=subs, max_mb=MAX_UPLOAD // (1024 * 1024))
        if me == BOARD:
            return page(request, "board.html", **(await anyio.to_thread.run_sync(board_rows)))
        return forbidden()

    async def no_slash(request: Request) -> Response:
        if who(request) is None:
            return forbidden()
        return RedirectResponse(request.path_params["token"] + "/", status_code=307)

    def board_rows() -> dict:
        latest, passing_subs = storage.latest(), storage.latest_passing()
        rows = []
        for name in storage.roster:
            unit = storage.units[name]
            sub, count = latest.get(unit.id, (None, 0))
            rows.append(
                {
                    "unit": unit,
                    "sub": sub,
                    "count": count,
                    "counted": passing_subs.get(unit.id),  # the submission the 汇总 sums (newest without errors)
                    "verdict": sub.verdict if sub else "未提交",
                    "other_year": bool(sub and sub.file_year and sub.file_year != year),
                    "other_unit": bool(sub and other_unit(unit.name, sub.file_unit)),
                }
            )
        counts = {v: sum(r["verdict"] == v for r in rows) for v in VERDICT_ORDER}
        order = {v: i for i, v in enumerate(VERDICT_ORDER)}
        rows.sort(key=lambda r: order[r["verdict"]])  # as collect's 状态: action first; roster order within
        passing = sum(uid in storage.units_by_id for uid in storage.latest_passing())
        return {"rows": rows, "counts": counts, "total": len(rows), "passing": passing}

    def own(me, sub: Submission | None) -> bool:
        return sub is not None and (me == BOARD or (isinstance(me, Unit) and sub.unit_id == me.id))

    async def submission(request: Request) -> Response:
        me = who(request)
        sub = await anyio.to_thread.run_sync(storage.submission, request.path_params["sid"])
        if not own(me, sub):
            return forbidden()
        by_sheet: dict[str, list[dict]] = {}
        for f in errors_first(sub.findings()):  # as validate prints them: what must be fixed first
            by_sheet.setdefault(f["sheet"] or "（整个文件）", []).append(f)
        unit = storage.units_by_id.get(sub.unit_id)
        return page(
            request,
            "submission.html",
            sub=sub,
            by_sheet=by_sheet,
            board=me == BOARD,
            unit=unit,
            other_unit=bool(unit and other_unit(unit.name, sub.file_unit)),
        )

    async def board_unit(request: Request) -> Response:
        if who(request) != BOARD:
            return forbidden()
        unit = storage.units_by_id.get(request.path_params["uid"])
        if unit is None:
            return forbidden()
        subs = await anyio.to_thread.run_sync(storage.submissions, unit.id)
        return page(request, "board_unit.html", unit=unit, submissions=subs)

    # ------------------------------------------------------------------ downloads
    async def original(request: Request) -> Response:
        me = who(request)
        sub = await anyio.to_thread.run_sync(storage.submission, request.path_params["sid"])
        if not own(me, sub):
            return forbidden()
        return FileResponse(storage.path_of(sub), filename=sub.filename, media_type="application/octet-stream")

    async def word_report(request: Request) -> Response:
        me = who(request)
        sub = await anyio.to_thread.run_sync(storage.submission, request.path_params["sid"])
        if not own(me, sub):
            return forbidden()
        fmt = request.path_params.get("fmt", "docx")
        if fmt not in REPORT_TYPES:
            return forbidden()
        if not sub.ok:
            return message(request, 409, "这个文件有错误，不能生成报告；请改正后重新上传。", False)
        out = storage.cache / f"report-{sub.id}.{fmt}"
        name = reports.get((sub.id, fmt))
        if name is None or not out.exists():  # a report takes seconds to write: once per submission and format
            try:
                unit = storage.units_by_id.get(sub.unit_id)
                name = reports[(sub.id, fmt)] = await pool.run(
                    work.report, str(storage.path_of(sub)), str(out), fmt, unit.name if unit else None, year
                )
            except GkError as exc:
                return message(request, 409, exc.message, False)
        return FileResponse(out, filename=name, media_type=REPORT_TYPES[fmt])

    async def annotated(request: Request) -> Response:
        me = who(request)
        sub = await anyio.to_thread.run_sync(storage.submission, request.path_params["sid"])
        if not own(me, sub):
            return forbidden()
        if sub.unreadable or not (sub.errors or sub.warnings):
            return message(request, 409, "这个文件没有需要标注的问题。", False)
        out = storage.cache / f"annotated-{sub.id}.xlsx"
        name = annotations.get(sub.id)
        if name is None or not out.exists():  # a stored upload never changes: annotate it once
            try:
                name = annotations[sub.id] = await pool.run(
                    work.annotated, str(storage.path_of(sub)), sub.filename, str(out)
                )
            except GkError as exc:
                return message(request, 409, exc.message, False)
        return FileResponse(out, filename=name, media_type=XLSX)

    async def blank(request: Request) -> Response:
        me = who(request)
        if not isinstance(me, Unit):
            return forbidden()
        out = storage.cache / f"blank-{secrets.token_hex(8)}.xlsx"
        name = await pool.run(work.blank, me.name, year, str(out))
        return FileResponse(out, filename=name, media_type=XLSX, background=BackgroundTask(_unlink, out))

    async def summary(request: Request) -> Response:
        if who(request) != BOARD:
            return forbidden()
        entries = await anyio.to_thread.run_sync(summary_entries)
        if not any(sub.ok for _, sub in entries):
            return message(request, 409, "还没有无错误的提交，暂不能汇总。", False)
        key = hashlib.sha256(json.dumps([year] + [sub.id for _, sub in entries]).encode()).hexdigest()[:32]
        out = storage.cache / f"summary-{key}.xlsx"
        name = summaries.get(key)
        if name is None or not out.exists():  # the same submissions give the same workbook: build it once
            args = [(unit.name, str(storage.path_of(sub)), submission_label(sub)) for unit, sub in entries]
            name = summaries[key] = await pool.run(work.summary, args, storage.roster, year, str(out))
        return FileResponse(out, filename=name, media_type=XLSX)

    def summary_entries() -> list[tuple[Unit, Submission]]:
        """Per roster unit: its newest passing upload, else its newest (which 状态 then explains)."""
        passing, latest = storage.latest_passing(), storage.latest()
        out = []
        for name in storage.roster:
            unit = storage.units[name]
            sub = passing.get(unit.id) or latest.get(unit.id, (None, 0))[0]
            if sub is not None:
                out.append((unit, sub))
        return out

    # ------------------------------------------------------------------ upload
    async def upload(request: Request, unit: Unit) -> Response:
        wants_json = "application/json" in request.headers.get("accept", "")
        if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
            return message(
                request,
                400,
                "没有收到文件。请在本单位的报送页面点“选择文件”选好年度报告，再点“上传并检查”。",
                wants_json,
            )
        too_large = f"文件超过 {MAX_UPLOAD // (1024 * 1024)} MB，未接收；请检查是否选错了文件。"
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY:
            # refused before reading: a client that waits for 100-continue sends nothing more
            if "100-continue" not in request.headers.get("expect", "").lower() and int(declared) <= DRAIN_LIMIT:
                await drain(request.receive)
            return message(request, 413, too_large, wants_json)

        received = 0

        async def counted():
            nonlocal received
            msg = await request.receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > MAX_BODY:
                    raise TooLarge
            return msg

        form = None
        tmp = storage.tmp / f"{secrets.token_hex(16)}"
        try:
            try:
                form = await Request(request.scope, counted).form(max_files=1, max_fields=10, max_part_size=64 * 1024)
            except TooLarge:
                await drain(request.receive, received)
                return message(request, 413, too_large, wants_json)
            except ClientDisconnect:
                return Response(status_code=400)  # nobody is listening; nothing was kept
            except HTTPException:
                return message(request, 400, "上传的数据不完整或格式不对，请重新选择文件上传。", wants_json)
            file = form.get("file")
            if not isinstance(file, UploadFile) or (not file.filename and not file.size):
                return message(request, 400, "请选择要上传的文件（字段名 file）。", wants_json)
            if (file.size or 0) > MAX_UPLOAD:
                return message(request, 413, too_large, wants_json)
            shown = display_name(file.filename)
            suffix = stored_suffix(file.filename or "")
            tmp = tmp.with_name(tmp.name + suffix)
            size, digest = await anyio.to_thread.run_sync(_save, file.file, tmp)
            try:
                line, unreadable = await pool.run(work.check, str(tmp), shown, unit.name)
            except GkError as exc:
                line = Result(shown, None, [Finding("E0", "error", "", (), exc.message)], unreadable=True).to_json()
                unreadable = True
            stored = tmp.name
            await anyio.to_thread.run_sync(_move, tmp, storage.files / stored)
            sid = await anyio.to_thread.run_sync(
                storage.add_submission, unit, shown, stored, size, digest, line, unreadable
            )
        finally:
            if form is not None:
                await form.close()
            with contextlib.suppress(OSError):
                tmp.unlink()
        if wants_json:
            return Response(line + "\n", media_type="application/json")
        return RedirectResponse(f"s/{sid}", status_code=303)

    # ------------------------------------------------------------------ app
    async def not_found(request: Request, exc) -> Response:
        return forbidden()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await anyio.to_thread.run_sync(pool.start)
        if on_ready:
            on_ready()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(pool.stop)

    routes = [
        Mount("/static", StaticFiles(packages=[("gktool.serve", "static")]), name="static"),
        Route("/k/{token}", no_slash),
        Route("/k/{token}/", home, methods=["GET", "POST"]),
        Route("/k/{token}/blank.xlsx", blank),
        Route("/k/{token}/s/{sid:int}", submission),
        Route("/k/{token}/s/{sid:int}/file", original),
        Route("/k/{token}/s/{sid:int}/report.{fmt}", word_report),
        Route("/k/{token}/s/{sid:int}/annotated.xlsx", annotated),
        Route("/k/{token}/unit/{uid:int}", board_unit),
        Route("/k/{token}/summary.xlsx", summary),
    ]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={404: not_found, 405: not_found})
    app.router.redirect_slashes = False
    app.add_middleware(SecurityHeaders)
    app.state.storage = storage
    app.state.workers = pool
    return app


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# the report's formats; each is offered as a download (attachment), a web page included
REPORT_TYPES = {"docx": DOCX, "html": "text/html; charset=utf-8", "pdf": "application/pdf"}


async def drain(receive, already: int = 0) -> None:
    """Read and drop the rest of a refused body (bounded), so the client can read the 413."""
    with anyio.move_on_after(DRAIN_SECONDS):
        total = already
        while total <= DRAIN_LIMIT:
            msg = await receive()
            if msg["type"] != "http.request":
                return
            total += len(msg.get("body", b""))
            if not msg.get("more_body", False):
                return


def submission_label(sub: Submission) -> str:
    """How the 汇总's 状态 names a submission: when it came and the name it was uploaded under."""
    return f"{sub.shown_time} 提交的 {sub.filename}"


def _save(src, dst: Path) -> tuple[int, str]:
    """Copy an upload into the data folder, durably; returns its size and SHA-256."""
    src.seek(0)
    digest = hashlib.sha256()
    size = 0
    with open(dst, "xb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def _move(src: Path, dst: Path) -> None:
    os.replace(src, dst)
    try:  # the rename itself survives a power cut (folders cannot be opened on Windows)
        fd = os.open(dst.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _unlink(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
