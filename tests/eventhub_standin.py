"""An Event Hubs stand-in for tests: a tiny AMQP 1.0 peer on a loopback port, built on Qpid Proton.

It imitates only what an `EventHubProducerClient` (azure-eventhub 5.x, its own AMQP stack `_pyamqp`) needs to
send, each behaviour from a public source:

* Plain AMQP, no TLS: a connection string with `UseDevelopmentEmulator=true` makes the SDK drop TLS
  (`azure/eventhub/_client_base.py`, `_from_connection_string`: `use_tls=False`), and the host of `Endpoint`
  may carry a port (`sb://127.0.0.1:<port>`, split by `_pyamqp/_transport.py`, `to_host_port`).
* SASL ANONYMOUS: the SDK authenticates over claims-based security, not SASL (`_pyamqp/client.py`: "If no
  authentication is supplied, SASLAnonymous will be used").
* CBS (`$cbs` node): a put-token request (application properties `name`, `operation` = `put-token`, `type`,
  `expiration`; `_pyamqp/cbs.py`, `_put_token`) is answered on the client's `$cbs` receiver link with
  `status-code` 200 and `status-description`, `correlation-id` = the request's `message-id`
  (`_pyamqp/management_link.py`, `_on_message_received`).
* `$management` (`com.microsoft:eventhub`, READ): the hub's name, `created_at` and `partition_ids`, as
  `_client_base.py` (`_get_eventhub_properties`) reads them; the SDK asks when it rebuilds a producer.
* The hub's sender link is attached with a `max-message-size` (the SDK sizes `create_batch` by it:
  `_producer_client.py`, `_get_max_message_size`).
* A batch is one AMQP message of format 0x80013700 whose body is one `data` section per event, each an
  encoded AMQP message; the batch's and each event's message annotations carry `x-opt-partition-key`
  ("AMQP 1.0 in Azure Service Bus and Event Hubs protocol guide", Microsoft Learn; the SDK's
  `EventDataBatch`). Every event is recorded with the key; the transfer is settled `accepted`, or `rejected`
  when the stand-in is told to refuse.

One thing Proton does that the SDK cannot read: AMQP lets a peer omit a performative's trailing null fields
(AMQP 1.0, part 1.4, "list" composite types), and Proton does (a `begin` of 5 fields of 8), but the SDK's decoder
reads fields by index without checking the count (`_pyamqp/session.py`, `_incoming_begin`: `frame[7]`;
`link.py`, `_incoming_attach`: `frame[13]`), so it only works with a peer that sends every field, as the
service does. The stand-in therefore puts a byte pump in front of Proton that re-sends each frame with its
performative's list filled up with nulls to its full field count: the same frame in AMQP's terms.

Everything runs in daemon threads with a bounded lifetime; `received()` waits with a timeout.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from proton import Condition, Data, Delivery, Described, Endpoint, Message
from proton.handlers import MessagingHandler
from proton.reactor import ApplicationEvent, Container, EventInjector

PARTITION_KEY = "x-opt-partition-key"
DATA_SECTION = 0x75
MESSAGE_ANNOTATIONS = 0x72
DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024  # Event Hubs Standard: 1 MiB
PARTITIONS = ("0", "1", "2", "3")


@dataclass(frozen=True)
class ReceivedEvent:
    """One event as the hub took it: its body and the partition key it was sent with (None: round robin)."""

    hub: str
    body: bytes
    partition_key: str | None
    transfer: int  # the transfer (batch) it came in, counted from 1 per stand-in


# The field count of every performative (AMQP 1.0 part 2.7, SASL part 5.3), by descriptor code.
FULL_FIELDS = {0x10: 10, 0x11: 8, 0x12: 14, 0x13: 11, 0x14: 11, 0x15: 6, 0x16: 3, 0x17: 1, 0x18: 1,
               0x40: 1, 0x41: 3, 0x42: 1, 0x43: 1, 0x44: 2}


def filled_frame(frame: bytes) -> bytes:
    """One frame (size, doff, type, channel, body) with its performative list padded with nulls to full length."""
    offset = frame[4] * 4
    body = frame[offset:]
    if len(body) < 4 or body[0] != 0x00 or body[1] != 0x53 or body[2] not in FULL_FIELDS:
        return frame
    constructor = body[3]
    if constructor == 0x45:
        count, items, rest = 0, b"", body[4:]
    elif constructor == 0xC0:
        size, count = body[4], body[5]
        items, rest = body[6:5 + size], body[5 + size:]
    elif constructor == 0xD0:
        size, count = int.from_bytes(body[4:8], "big"), int.from_bytes(body[8:12], "big")
        items, rest = body[12:8 + size], body[8 + size:]
    else:
        return frame
    missing = max(0, FULL_FIELDS[body[2]] - count)
    items += b"\x40" * missing
    listed = b"\xd0" + (len(items) + 4).to_bytes(4, "big") + (count + missing).to_bytes(4, "big") + items
    new_body = body[:3] + listed + rest
    header = frame[4:offset]
    return (4 + len(header) + len(new_body)).to_bytes(4, "big") + header + new_body


class _FrameFiller:
    """Splits a byte stream into protocol headers and frames, each frame filled (see the module's docstring)."""

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, data: bytes) -> bytes:
        self._pending += data
        out = bytearray()
        while True:
            if self._pending[:4] == b"AMQP":
                if len(self._pending) < 8:
                    break
                out += self._pending[:8]
                self._pending = self._pending[8:]
                continue
            if len(self._pending) < 8:
                break
            size = int.from_bytes(self._pending[:4], "big")
            if len(self._pending) < size:
                break
            out += filled_frame(self._pending[:size])
            self._pending = self._pending[size:]
        return bytes(out)


def _pump(source: socket.socket, target: socket.socket, filler: _FrameFiller | None) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(filler.feed(data) if filler else data)
    except OSError:
        pass
    finally:
        for end in (source, target):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _proxy(listener: socket.socket, broker_port: int) -> None:
    """Accepts clients until the listener closes; each gets its own connection to Proton and two pumps."""
    while True:
        try:
            client, _ = listener.accept()
        except OSError:
            return
        broker = socket.create_connection(("127.0.0.1", broker_port), timeout=10)
        broker.settimeout(None)
        threading.Thread(target=_pump, args=(client, broker, None), daemon=True).start()
        threading.Thread(target=_pump, args=(broker, client, _FrameFiller()), daemon=True).start()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Broker(MessagingHandler):
    def __init__(self, address: str, hubs: frozenset[str], max_message_size: int) -> None:
        super().__init__(prefetch=100, auto_accept=False, auto_settle=True)
        self.address = address
        self.hubs = hubs
        self.max_message_size = max_message_size
        self.refuse: str | None = None
        self.events: list[ReceivedEvent] = []
        self.transfers = 0
        self.tokens: list[dict[str, Any]] = []
        self.lock = threading.Condition()
        self.ready = threading.Event()
        self.injector = EventInjector()
        self._acceptor: Any = None

    def on_start(self, event: Any) -> None:
        self.container = event.container
        event.container.selectable(self.injector)
        self._acceptor = event.container.listen(self.address)
        self.ready.set()

    def on_connection_bound(self, event: Any) -> None:
        sasl = event.transport.sasl()
        sasl.allowed_mechs("ANONYMOUS")

    def on_stop_broker(self, event: Any) -> None:
        if self._acceptor is not None:
            self._acceptor.close()
        self.container.stop()

    def on_link_opening(self, event: Any) -> None:
        link = event.link
        if link.is_receiver:  # the client sends on it: to $cbs, $management or a hub
            address = _node(link.remote_target.address)
            if address not in ("$cbs", "$management") and address not in self.hubs:
                link.condition = Condition("amqp:not-found", f"The messaging entity '{address}' could not be found.")
                link.close()
                return
            link.target.address = address
            link.max_message_size = self.max_message_size
        else:  # the client's reply link of a request-response pair
            address = _node(link.remote_source.address)
            link.source.address = address
        link.open()

    def on_delivery(self, event: Any) -> None:
        link, delivery = event.link, event.delivery
        if not link.is_receiver:
            super().on_delivery(event)  # type: ignore[misc]
            return
        if not delivery.readable or delivery.partial:
            return
        raw = link.recv(delivery.pending)
        link.advance()
        address = _node(link.remote_target.address)
        if address in ("$cbs", "$management"):
            self._answer(link, address, raw)
            delivery.update(Delivery.ACCEPTED)
        elif self.refuse is not None:
            # with an info map: the SDK reads all three fields of the error (`_pyamqp/client.py`, _on_send_complete)
            delivery.local.condition = Condition(self.refuse, "refused by the test", {"stand-in": "refused"})
            delivery.update(Delivery.REJECTED)
        else:
            self._record(address, raw)
            delivery.update(Delivery.ACCEPTED)
        delivery.settle()

    def _record(self, hub: str, raw: bytes) -> None:
        sections = _sections(raw)
        batch_key = _partition_key(sections)
        bodies = [bytes(value) for code, value in sections if code == DATA_SECTION]
        with self.lock:
            self.transfers += 1
            for inner in bodies:
                inner_sections = _sections(inner) if _is_message(inner) else []
                if inner_sections:  # a batch: each data section is a whole message
                    data = b"".join(bytes(v) for c, v in inner_sections if c == DATA_SECTION)
                    key = _partition_key(inner_sections) or batch_key
                    self.events.append(ReceivedEvent(hub, data, key, self.transfers))
                else:
                    self.events.append(ReceivedEvent(hub, inner, batch_key, self.transfers))
            self.lock.notify_all()

    def _answer(self, link: Any, address: str, raw: bytes) -> None:
        request = Message()
        request.decode(raw)
        props: dict[str, Any] = request.properties or {}
        reply = _reply_link(link.connection, address)
        if reply is None:
            return
        if address == "$cbs":
            with self.lock:
                self.tokens.append({k: props.get(k) for k in ("name", "type", "operation")})
            body: Any = None
        else:
            body = {"name": props.get("name"), "created_at": int(time.time() * 1000),
                    "partition_ids": list(PARTITIONS), "type": "com.microsoft:eventhub"}
        answer = Message(body=body, correlation_id=request.id,
                         properties={"status-code": 200, "status-description": "OK"})
        reply.send(answer)  # no credit check: the client grants credit on its reply link before it asks

    def on_message(self, event: Any) -> None:  # only replies we sent come back here, never messages to record
        return


def _node(address: str | None) -> str:
    """The SDK names the hub by URL (`amqp://<host>/<hub>`, `_client_base.py` `_Address`); a node by its name."""
    return (address or "").rstrip("/").rsplit("/", 1)[-1]


def _reply_link(connection: Any, address: str) -> Any:
    """The client's receiving link of a request-response pair: ours sends from the node's address."""
    link = connection.link_head(Endpoint.LOCAL_ACTIVE)
    while link is not None:
        if link.is_sender and link.source.address == address:
            return link
        link = link.next(Endpoint.LOCAL_ACTIVE)
    return None


def _sections(raw: bytes) -> list[tuple[int, Any]]:
    """The described sections of an encoded AMQP message, in order (AMQP 1.0, part 3.2)."""
    data = Data()
    found: list[tuple[int, Any]] = []
    view = memoryview(raw)
    while view:
        data.clear()
        used = data.decode(bytes(view))
        if used <= 0:
            break
        value = data.get_object()
        if not isinstance(value, Described):
            break
        descriptor = value.descriptor
        code = int(descriptor) if isinstance(descriptor, int) else -1
        inner = value.value
        found.append((code, bytes(inner) if isinstance(inner, (bytes, memoryview)) else inner))  # copied: the
        # decoder's buffer is reused by the next section
        view = view[used:]
    return found


def _is_message(raw: bytes) -> bool:
    """An inner data section of a batch starts with a section descriptor (0x00 0x53 0x70..0x77)."""
    return len(raw) >= 3 and raw[0] == 0x00 and raw[1] == 0x53 and 0x70 <= raw[2] <= 0x77


def _partition_key(sections: list[tuple[int, Any]]) -> str | None:
    for code, value in sections:
        if code == MESSAGE_ANNOTATIONS and isinstance(value, dict):
            for name, annotation in value.items():
                if str(name) == PARTITION_KEY:
                    return str(annotation)
    return None


class EventHubStandIn:
    """`with EventHubStandIn.running() as hub:` a broker on a free loopback port; `hub.connection_string`."""

    def __init__(self, hubs: frozenset[str] = frozenset({"dealer-feedback"}),
                 max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._broker_port = free_port()
        self._broker = _Broker(f"127.0.0.1:{self._broker_port}", hubs, max_message_size)
        self._container = Container(self._broker)
        self._container.container_id = "eventhub-standin-" + uuid.uuid4().hex[:8]
        self._thread = threading.Thread(target=self._container.run, name="eventhub-standin", daemon=True)

    @classmethod
    @contextlib.contextmanager
    def running(cls, **options: Any) -> Iterator[EventHubStandIn]:
        standin = cls(**options)
        standin.start()
        try:
            yield standin
        finally:
            standin.stop()

    @property
    def connection_string(self) -> str:
        return (f"Endpoint=sb://127.0.0.1:{self.port};SharedAccessKeyName=RootManageSharedAccessKey;"
                "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;")

    def start(self, timeout: float = 10) -> None:
        self._thread.start()
        if not self._broker.ready.wait(timeout):  # Proton listens before `on_start` returns
            raise RuntimeError("the Event Hubs stand-in did not start")
        threading.Thread(target=_proxy, args=(self._listener, self._broker_port), daemon=True).start()

    def stop(self, timeout: float = 10) -> None:
        self._listener.close()
        self._broker.injector.trigger(ApplicationEvent("stop_broker"))
        self._thread.join(timeout)

    def refuse(self, condition: str | None = "amqp:unauthorized-access") -> None:
        """From now on, every transfer to a hub is settled `rejected` with this error condition (None: accept)."""
        self._broker.refuse = condition

    def received(self, count: int = 0, timeout: float = 10) -> list[ReceivedEvent]:
        """The events taken so far, waiting up to `timeout` seconds until there are at least `count`."""
        with self._broker.lock:
            self._broker.lock.wait_for(lambda: len(self._broker.events) >= count, timeout)
            return list(self._broker.events)

    @property
    def transfers(self) -> int:
        with self._broker.lock:
            return self._broker.transfers

    @property
    def tokens(self) -> list[dict[str, Any]]:
        with self._broker.lock:
            return list(self._broker.tokens)

