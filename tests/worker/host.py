"""The host's side of the protocol, played by test code: start the worker, init, metadata, load, invoke.

The order and contents follow the Functions host (Azure/azure-functions-host, `GrpcWorkerChannel`): a
WorkerInitRequest carrying the function app directory, a FunctionsMetadataRequest (worker indexing), one
FunctionLoadRequest per function the worker reported (with that metadata), then InvocationRequests carrying the
trigger's data, its trigger metadata and a trace context. What the host does around these messages (scaling,
checkpoints, retries, the extension's bindings) is imitated only as far as `encoding.py` documents.
"""

from __future__ import annotations

import itertools
import os
import struct
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tests.worker import rpc

ROOT = Path(__file__).resolve().parents[2]
WORKER_PYTHON = ROOT / ".venv-worker" / "bin" / "python"
HOST_VERSION = "4.1040.300"
SUCCESS = 1  # StatusResult.Success


@dataclass(frozen=True)
class Invocation:
    """The worker's InvocationResponse: its status, the exception's message, and the outputs by binding name
    (the return value under `$return`, the binding name the host gives it)."""

    succeeded: bool
    exception: str
    outputs: dict[str, Any]


class WorkerFailure(AssertionError):
    """The worker answered a request with StatusResult.Failure."""


class WorkerHost:
    """One worker process serving one staged app directory with the given app settings as its environment."""

    def __init__(self, app_dir: Path, settings: Mapping[str, str]) -> None:
        if not WORKER_PYTHON.exists():
            raise RuntimeError(f"{WORKER_PYTHON} is missing: run ./dev test, which prepares .venv-worker")
        self.protos: Any = rpc.load()
        self.app_dir = app_dir
        environment = {"PATH": os.environ.get("PATH", ""), "FUNCTIONS_WORKER_RUNTIME": "python", **settings}
        self._stderr = (app_dir / "worker-stderr.log").open("wb")
        self._process = subprocess.Popen(
            [str(WORKER_PYTHON), "-I", str(Path(__file__).with_name("worker_process.py")), str(rpc.PROTOS)],
            cwd=app_dir, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
        )
        self._ids = itertools.count(1)
        self.functions: dict[str, Any] = {}
        self.capabilities: dict[str, str] = {}
        self.feedback_hub: Any = None  # the Event Hubs stand-in its EventHubConnection names (conftest.py)
        self.feedback_seen = 0

    # -- the protocol -------------------------------------------------------------------------------------

    def exchange(self, **content: Any) -> Any:
        """Sends one StreamingMessage with the given content and returns the worker's answering message."""
        request_id = f"req-{next(self._ids)}"
        message = self.protos.StreamingMessage(request_id=request_id, **content)
        stdin, stdout = self._pipes()
        payload = message.SerializeToString()
        stdin.write(struct.pack(">I", len(payload)) + payload)
        stdin.flush()
        header = stdout.read(4)
        if len(header) < 4:
            raise RuntimeError(f"the worker process ended (exit {self._process.wait()}):\n{self.stderr()}")
        reply = self.protos.StreamingMessage.FromString(stdout.read(struct.unpack(">I", header)[0]))
        assert reply.request_id == request_id
        return reply

    def start(self) -> dict[str, Any]:
        """Init, metadata and load, as the host does on start-up; returns the functions' metadata by name."""
        init = self.exchange(worker_init_request=self.protos.WorkerInitRequest(
            host_version=HOST_VERSION, function_app_directory=str(self.app_dir),
            worker_directory=str(self.app_dir), capabilities={},
        )).worker_init_response
        _check(init.result, "WorkerInitRequest")
        self.capabilities = dict(init.capabilities)  # what the host adapts its encodings to (http_trigger.py)
        metadata = self.exchange(functions_metadata_request=self.protos.FunctionsMetadataRequest(
            function_app_directory=str(self.app_dir),
        )).function_metadata_response
        _check(metadata.result, "FunctionsMetadataRequest")
        for function in metadata.function_metadata_results:
            loaded = self.exchange(function_load_request=self.protos.FunctionLoadRequest(
                function_id=function.function_id, metadata=function,
            )).function_load_response
            _check(loaded.result, f"FunctionLoadRequest {function.name}")
            self.functions[function.name] = function
        return self.functions

    def invoke(
        self, name: str, inputs: Mapping[str, Any], trigger_metadata: Mapping[str, Any] | None = None
    ) -> Invocation:
        """One InvocationRequest; returns the response's outputs by binding name (TypedData) and its result."""
        function = self.functions[name]
        response = self.exchange(invocation_request=self.protos.InvocationRequest(
            invocation_id=str(uuid.uuid4()), function_id=function.function_id,
            input_data=[self.protos.ParameterBinding(name=key, data=value) for key, value in inputs.items()],
            trigger_metadata=dict(trigger_metadata or {}),
            trace_context=self.protos.RpcTraceContext(
                trace_parent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", trace_state=""),
            retry_context=self.protos.RetryContext(retry_count=0, max_retry_count=0),
        )).invocation_response
        return Invocation(
            succeeded=response.result.status == SUCCESS,
            exception=response.result.exception.message,
            outputs={binding.name: binding.data for binding in response.output_data}
            | ({"$return": response.return_value} if response.HasField("return_value") else {}),
        )

    # -- process ------------------------------------------------------------------------------------------

    def stderr(self) -> str:
        self._stderr.flush()
        return (self.app_dir / "worker-stderr.log").read_text(encoding="utf-8", errors="replace")[-6000:]

    def close(self) -> None:
        stdin, _ = self._pipes()
        stdin.close()
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._stderr.close()

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self._process.stdin is not None and self._process.stdout is not None
        return self._process.stdin, self._process.stdout


def _check(result: Any, what: str) -> None:
    if result.status != SUCCESS:
        raise WorkerFailure(f"{what} failed in the worker: {result.exception.message}")
