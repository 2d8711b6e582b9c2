"""The app's registered Python functions, for the tests that check a function's own logic directly.

That proves the Python, not that Azure can run it: tests/worker loads and invokes the same functions through
Azure's worker library with the host's encodings.
"""

from __future__ import annotations

import functools
from typing import Any

import function_app


@functools.cache
def functions() -> dict[str, Any]:
    """The app validates names on each get_functions(); the worker calls it once, and so do we."""
    return {str(f.get_function_name()): f for f in function_app.app.get_functions()}


def registered(name: str) -> Any:
    return functions()[name].get_user_function()
