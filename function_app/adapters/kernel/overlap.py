"""Storage I/O that overlaps with the work on what was already fetched: the next page of a query is read on
a thread while the caller formats this one; a file's next block is written while the caller builds it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
_DONE = object()


def prefetched(pages: Iterable[Iterable[T]], depth: int = 2) -> Iterator[T]:
    """Yields the items of `pages`, fetching up to `depth` pages ahead on a background thread.

    An error while fetching is raised here, in the caller; a caller that stops early stops the fetching.
    """
    ahead = PagesAhead(pages, depth)
    try:
        yield from ahead
    finally:
        ahead.close()


class PagesAhead(Iterable[T]):
    """Fetches `pages` on a background thread from the moment it is made, up to `depth` pages ahead: several of
    them started together wait for their first pages side by side. Iterate it once; `close` stops the fetching
    (the owner calls it, also when it stops early)."""

    def __init__(self, pages: Iterable[Iterable[T]], depth: int = 2) -> None:
        self._buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._pages = pages
        threading.Thread(target=self._fetch, name="prefetch", daemon=True).start()

    def _fetch(self) -> None:
        try:
            for page in self._pages:
                if not _offer(self._buffer, list(page), self._stop):
                    return
        except BaseException as exc:  # handed to the caller, who re-raises it
            _offer(self._buffer, exc, self._stop)
            return
        _offer(self._buffer, _DONE, self._stop)

    def __iter__(self) -> Iterator[T]:
        while (item := self._buffer.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield from item

    def close(self) -> None:
        self._stop.set()


def _offer(buffer: queue.Queue[Any], item: object, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            buffer.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


class Pipelined:
    """Runs writes one at a time on a background thread, at most `depth` waiting, in order."""

    def __init__(self, depth: int = 2) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload")
        self._pending: list[Future[object]] = []
        self._depth = depth

    def submit(self, write: Callable[[], object]) -> None:
        self._pending.append(self._executor.submit(write))
        while len(self._pending) >= self._depth:
            self._pending.pop(0).result()

    def finish(self) -> None:
        try:
            for future in self._pending:
                future.result()
        finally:
            self._pending.clear()
            self._executor.shutdown(wait=True, cancel_futures=True)

    def abandon(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
