"""`fnix serve`: the dealer and lender API (spec/API.md) on a loopback port, over the same storage as every other
command (a project-local Azurite when AzureWebJobsStorage is not set). The URL and a development identity to call
it with are printed on stdout; it runs until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fnix import output
from fnix.commands import UsageError, open_exchange, whole_number

if TYPE_CHECKING:
    from function_app.bootstrap import Exchange
    from function_app.domain.api.callers import CallerMap

HOST = "127.0.0.1"  # loopback only: the development identity must never face a network


def tcp_listener() -> socket.socket:
    """A TCP socket for uvicorn. Named IPPROTO_TCP, not left 0: asyncio sets TCP_NODELAY only on connections whose
    socket says so, and without it every answer (headers, then body: two writes) waits ~40 ms for the client's
    delayed ACK (Nagle). bench/api.py measured 48 ms against 0.3 ms per request."""
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)


def serve(args: argparse.Namespace) -> int:
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 1 to 65535, or 0 for a free port, got {args.port}")
    listener = tcp_listener()
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, args.port))
        listener.listen(128)  # callers that read the printed URL at once wait in the backlog, not refused
    except OSError as exc:
        listener.close()
        raise UsageError(f"--port {args.port}: cannot listen there ({exc.strerror}); try --port 0") from exc
    with listener, open_exchange() as exchange:
        import uvicorn

        from function_app.adapters.api.app import create_app
        from function_app.domain.api.identity import DEV_HEADER

        settings = exchange.settings
        app = create_app(lambda: exchange.api, settings.api_callers, in_azure=settings.in_azure)
        url = f"http://{HOST}:{listener.getsockname()[1]}/api"
        print(f"{url}/openapi.json", flush=True)
        for client_id, caller in settings.api_callers.items():
            print(f"{DEV_HEADER}: {client_id}\t{caller.kind.value} {caller.code}", flush=True)
        output.note(f"serve: e.g. curl -H '{DEV_HEADER}: <client id above>' {url}/contracts/<contract number>; "
                    "Ctrl-C stops it")
        if not settings.api_callers:
            output.note("serve: API_CALLERS names no caller, so every request is answered 401 or 403")
        server = _server(uvicorn.Config(app, lifespan="off", log_level="warning"))
        server.run(sockets=[listener])
    output.note("serve: stopped")
    return 0


def _server(config: Any) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn raises a Ctrl-C or SIGTERM it caught again once it has stopped, which would end the process
        before a project-local Azurite this command started is stopped: the signal has done its work here."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                try:
                    yield
                finally:
                    self._captured_signals.clear()

    return Server(config)


@contextlib.contextmanager
def served_in_thread(exchange: Exchange, callers: CallerMap, *, in_azure: bool = False) -> Iterator[str]:
    """The API over `exchange`'s storage on a free loopback port, served by uvicorn in a thread of this process
    while the block runs; yields its base URL (`http://127.0.0.1:<port>`). Tests, the demo and the benchmark
    reach it over real HTTP, as a dealer's or lender's system would."""
    import uvicorn

    from function_app.adapters.api.app import create_app

    app = create_app(lambda: exchange.api, callers, in_azure=in_azure)
    sock = tcp_listener()
    sock.bind((HOST, 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API server did not start within 10 s")
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("serve", help="serve the dealer and lender API on 127.0.0.1 (development identity)")
    parser.add_argument("--port", type=whole_number, default=0, metavar="N",
                        help="port to listen on, 1-65535 (default 0: a free one, printed)")
    parser.set_defaults(run=serve)
