"""Writers in flight in memory, with the Table adapter's semantics: for tests and benchmarks."""

from __future__ import annotations

from datetime import datetime

from function_app.service_layer.kernel.in_flight import InFlightWriter, InFlightWriters


class MemoryInFlight(InFlightWriters):
    def __init__(self) -> None:
        self.entries: dict[str, InFlightWriter] = {}
        self.writes = 0  # registrations and releases, as Table requests: what the real-time path pays

    def register(self, writer: InFlightWriter) -> None:
        self.writes += 1
        self.entries[writer.writer] = writer

    def release(self, writer: str) -> None:
        self.writes += 1
        self.entries.pop(writer, None)

    def live(self, now: datetime) -> list[InFlightWriter]:
        for name in [name for name, entry in self.entries.items() if entry.expires_at <= now]:
            del self.entries[name]
        return sorted(self.entries.values(), key=lambda entry: entry.lowest)
