"""The worker process: Azure's Python worker library (`azure-functions-runtime`) behind a pipe.

Run by `.venv-worker/bin/python -I` (Azure's Python, requirements.txt exactly) with the staged deployment package
as its working directory. In Azure, for Python 3.13 and later, the host starts a small proxy worker that speaks
gRPC with the host and hands each request to this library (worker_init_request, functions_metadata_request,
function_load_request, invocation_request), passing the protocol's message classes as `protos`. This file plays
that proxy: length-prefixed serialized StreamingMessages on stdin/stdout instead of a gRPC stream. Everything
after the hand-over (indexing the app, type checks, binding conversion, invocation, output encoding) is the
library's own code.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import struct
import sys
from pathlib import Path
from typing import Any, BinaryIO


def _rpc_module() -> Any:
    spec = importlib.util.spec_from_file_location("fnix_rpc_loader", Path(__file__).with_name("rpc.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Request:
    """What the proxy hands the library: the message and the properties `host` and `protos`."""

    def __init__(self, message: Any, protos: Any) -> None:
        self.request = message
        self.properties = {"host": "127.0.0.1", "protos": protos}


def read_frame(stream: BinaryIO) -> bytes | None:
    header = stream.read(4)
    if len(header) < 4:
        return None
    (size,) = struct.unpack(">I", header)
    return stream.read(size)


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(struct.pack(">I", len(payload)) + payload)
    stream.flush()


async def serve(protos: Any, inbox: BinaryIO, outbox: BinaryIO) -> None:
    import azure_functions_runtime as library

    handlers = {
        "worker_init_request": ("worker_init_response", library.worker_init_request),
        "functions_metadata_request": ("function_metadata_response", library.functions_metadata_request),
        "function_load_request": ("function_load_response", library.function_load_request),
        "invocation_request": ("invocation_response", library.invocation_request),
    }
    library.start_threadpool_executor()
    while (frame := read_frame(inbox)) is not None:
        message = protos.StreamingMessage.FromString(frame)
        kind = message.WhichOneof("content")
        if kind not in handlers:
            raise SystemExit(f"worker_process: no handler for {kind}")
        field, handler = handlers[kind]
        response = await handler(Request(message, protos))
        reply = protos.StreamingMessage(request_id=message.request_id, **{field: response})
        write_frame(outbox, reply.SerializeToString())


def main() -> None:
    app_dir = os.getcwd()
    sys.path.insert(0, app_dir)  # as the worker does with the function app directory
    inbox = sys.stdin.buffer
    outbox = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything the app or library prints goes to stderr, never into the protocol stream
    protos = _rpc_module().load(Path(sys.argv[1]))
    asyncio.run(serve(protos, inbox, outbox))


if __name__ == "__main__":
    main()
