"""The FunctionRpc message classes (the host-worker protocol), from a pinned published package.

`azure-functions-runtime-v1` ships protoc output of the protocol's FunctionRpc.proto in a top-level `tests.protos`
package; `./dev test` installs it with --no-deps into the git-ignored `.worker-protos/` so that no stray `tests`
package enters a venv. It is loaded here under its own package name without running that package's __init__ (which
needs grpc): the host side (pytest) and the worker process both use it, and the bytes between them are the
protocol's own encoding of StreamingMessage.
"""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / ".worker-protos" / "tests" / "protos"
PACKAGE = "fnix_function_rpc"


def load(protos_dir: Path = PROTOS) -> types.SimpleNamespace:
    """Every message and enum of FunctionRpc.proto, NullableTypes.proto and the claims identity (the host side builds
    RpcHttp identities), as the worker library expects `protos`."""
    if not (protos_dir / "FunctionRpc_pb2.py").exists():
        raise RuntimeError(f"{protos_dir} has no FunctionRpc_pb2.py: run ./dev test, which installs it")
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [str(protos_dir)]
        sys.modules[PACKAGE] = package
    rpc: Any = importlib.import_module(f"{PACKAGE}.FunctionRpc_pb2")
    nullable: Any = importlib.import_module(f"{PACKAGE}.shared.NullableTypes_pb2")
    identity: Any = importlib.import_module(f"{PACKAGE}.identity.ClaimsIdentityRpc_pb2")
    names = {name: getattr(rpc, name) for name in dir(rpc) if name[:1].isupper()}
    names.update({name: getattr(nullable, name) for name in dir(nullable) if name.startswith("Nullable")})
    names.update({name: getattr(identity, name) for name in ("RpcClaim", "RpcClaimsIdentity")})
    return types.SimpleNamespace(**names)
