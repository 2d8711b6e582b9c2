"""The API's listening socket lets asyncio switch Nagle off on every connection: without TCP_NODELAY each answer
(headers, then body) waited ~40 ms for the client's delayed ACK (bench/api.py)."""

from __future__ import annotations

import asyncio
import socket

from fnix.serve import HOST, tcp_listener


def test_connections_accepted_on_the_api_socket_have_tcp_nodelay() -> None:
    async def accepted_nodelay() -> int:
        found: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def connected(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            found.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener = tcp_listener()
        listener.bind((HOST, 0))
        server = await asyncio.start_server(connected, sock=listener)  # what uvicorn does with the sockets it is given
        async with server:
            _reader, writer = await asyncio.open_connection(*listener.getsockname())
            try:
                return await asyncio.wait_for(found, 10)
            finally:
                writer.close()

    assert asyncio.run(accepted_nodelay()) != 0
