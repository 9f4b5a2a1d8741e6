"""`gktool serve`: the collecting office's intranet page. Units upload in a browser and see
the findings at once; the office sees every unit's status on the board and downloads the 汇总."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from ..errors import GkError
from .app import create_app
from .storage import Storage, read_roster


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or one clear line if the address is taken or wrong."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise GkError(f"无法识别监听地址“{host}”，请给出 IP 地址，如 127.0.0.1") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(256)
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48, 10048):
            raise GkError(f"端口 {port} 已被占用（可能 gktool serve 已在运行），请用 --port 换一个端口") from None
        raise GkError(f"无法在 {host}:{port} 上监听（{exc.strerror or exc}），请检查 --host 和 --port") from None
    return sock


def serve(
    roster: str | Path,
    data: str | Path,
    year: int,
    host: str = "127.0.0.1",
    port: int = 8000,
    url: str | None = None,
    workers: int | None = None,
    echo: Callable[[str], None] = print,
) -> None:
    """Run the server until interrupted. Writes links.csv in `data` and says where it is."""
    import uvicorn

    storage = Storage(data, read_roster(roster))
    sock = bind(host, port)
    port = sock.getsockname()[1]
    shown_host = socket.gethostname() if host in ("0.0.0.0", "::", "") else host
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    listen = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    base = url or f"http://{shown_host}:{port}/"
    links = storage.write_links(base)

    def ready() -> None:
        echo(f"gktool serve：{len(storage.roster)} 个单位，{year} 年度，监听 {listen}")
        if base != listen:
            echo(f"链接中的地址：{base}")
        echo(f"各单位的报送链接和管理页面链接已写入：{links.resolve()}")
        echo("按 Ctrl+C 停止。")

    app = create_app(storage, year, workers, on_ready=ready)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        timeout_graceful_shutdown=10,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl+C is how the office stops the server: not an error
        pass
    finally:
        sock.close()
        storage.close()
    echo("已停止。")
