"""The API served for real: uvicorn on a free loopback port in this process, reached with httpx as a caller would."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn

from function_app.adapters.api.app import create_app
from function_app.bootstrap import Exchange
from function_app.domain.api.callers import parse_callers
from function_app.domain.api.identity import DEV_HEADER

DEALER, OTHER_DEALER, LENDER, STRANGER = "dev-dealer-d10442", "dev-dealer-d20881", "dev-lender-fpcu", "not-in-map"
CALLERS = parse_callers({DEALER: {"dealer_code": "D10442"}, OTHER_DEALER: {"dealer_code": "D20881"},
                         LENDER: {"lienholder_code": "FPCU"}})


def as_caller(client_id: str) -> dict[str, str]:
    return {DEV_HEADER: client_id}


@contextlib.contextmanager
def served(exchange: Exchange, *, in_azure: bool = False) -> Iterator[httpx.Client]:
    """An HTTP client on the API served over `exchange`'s storage; the server stops when the block ends."""
    app = create_app(lambda: exchange.api, CALLERS, in_azure=in_azure)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.01)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
