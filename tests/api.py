"""The API served for real: uvicorn on a free loopback port in this process, reached with httpx as a caller would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import httpx
from fnix.serve import served_in_thread

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
    with (served_in_thread(exchange, CALLERS, in_azure=in_azure) as url,
          httpx.Client(base_url=url, timeout=10) as client):
        yield client
