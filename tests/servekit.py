"""Test helpers for `gktool serve`: run the real server in a child process on a free loopback
port, talk to it over plain HTTP (http.client, so every header and status is as sent), and
build workbooks for many units quickly."""

from __future__ import annotations

import csv
import http.client
import io
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

READY = "按 Ctrl+C 停止。"


class Server:
    """`gktool serve` in a child process; `links` maps each unit (and 管理) to its URL."""

    def __init__(self, roster: list[str] | None, data: Path, year: int = 2023, workers: int | None = 1, extra=()):
        self.data = Path(data)
        self.roster_path = self.data.parent / f"{self.data.name}-roster.txt"
        if roster is not None:
            self.roster_path.write_text("\n".join(roster) + "\n", encoding="utf-8")
        self.args = [
            sys.executable,
            "-m",
            "gktool.cli",
            "serve",
            "--roster",
            str(self.roster_path),
            "--data",
            str(self.data),
            "--year",
            str(year),
            "--port",
            "0",
            *extra,
        ]
        if workers is not None:
            self.args += ["--workers", str(workers)]
        self.proc: subprocess.Popen | None = None
        self.output: list[str] = []

    def start(self, timeout: float = 90) -> Server:
        self.output = []
        self.proc = subprocess.Popen(
            self.args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8"
        )
        lines: queue.Queue = queue.Queue()

        def pump():
            for line in self.proc.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise AssertionError(f"server did not start: {self.output}") from None
            if line is None:
                raise AssertionError(f"server exited: {self.output}")
            self.output.append(line)
            if line == READY:
                break
        self.base = self.output[0].rsplit("监听 ", 1)[1]
        self.links = read_links(self.data / "links.csv")
        return self

    def stop(self) -> int:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else 0

    # ------------------------------------------------------------ HTTP
    def request(
        self, method: str, url: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 120
    ) -> Answer:
        parts = urlsplit(url if "://" in url else self.base.rstrip("/") + url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            conn.request(
                method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body, headers=headers or {}
            )
            r = conn.getresponse()
            return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(), r.getheaders())
        finally:
            conn.close()

    def get(self, url: str, **kw) -> Answer:
        return self.request("GET", url, **kw)

    def upload(self, unit: str, filename: str, data: bytes, json: bool = True, field: str = "file") -> Answer:
        body, ctype = multipart({field: (filename, data)})
        headers = {"Content-Type": ctype}
        if json:
            headers["Accept"] = "application/json"
        return self.request("POST", self.links[unit], body, headers)


class Answer:
    def __init__(self, status: int, headers: dict, body: bytes, raw_headers):
        self.status, self.headers, self.body, self.raw_headers = status, headers, body, raw_headers

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def __repr__(self):
        return f"<Answer {self.status} {self.body[:200]!r}>"


def read_links(path: Path) -> dict[str, str]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "links.csv starts with a UTF-8 BOM"
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"))))
    assert rows[0] == ["unit", "url"]
    return {unit: url for unit, url in rows[1:]}


def multipart(fields: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser sends it (file names in UTF-8)."""
    boundary = "----gktooltest" + secrets.token_hex(12)
    out = io.BytesIO()
    for name, (filename, data) in fields.items():
        out.write(f"--{boundary}\r\n".encode())
        out.write(f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode())
        out.write(b"Content-Type: application/octet-stream\r\n\r\n")
        out.write(data)
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def with_unit(workbook: bytes, placeholder: str, unit: str) -> bytes:
    """The same workbook with its cover's unit name changed (a shared string), without re-writing it."""
    src = zipfile.ZipFile(io.BytesIO(workbook))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                assert placeholder.encode() in data
                data = data.replace(placeholder.encode(), unit.encode())
            dst.writestr(info, data)
    return out.getvalue()


def stored_files(data: Path) -> set[str]:
    return {p.name for p in (data / "files").iterdir()}


def leftovers(data: Path) -> list[str]:
    """Anything in tmp/ (an upload in flight or half-received)."""
    return sorted(os.listdir(data / "tmp"))
