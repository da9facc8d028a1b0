"""llama.cpp's OpenAI-compatible server (`llama-cpp-python[server]`) on 127.0.0.1, for running the LLM
pipelines against a real local model:

    with LlamaServer(model_path, python=python) as srv:
        llm = LlmClient(base_url=srv.base_url, model=srv.alias, ...)

`python` is an interpreter that has `llama-cpp-python[server]` installed (it is not a dependency of
peatmoss: it builds llama.cpp from source); $PEATMOSS_LLAMA_PYTHON and $PEATMOSS_LLAMA_MODEL (a .gguf file)
name them for the tests and scripts. The server is a child process tied to this one (it ends with it).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from peatmoss.core import http
from peatmoss.core.lifetime import preexec

ENV_PYTHON = "PEATMOSS_LLAMA_PYTHON"
ENV_MODEL = "PEATMOSS_LLAMA_MODEL"


def missing() -> str | None:
    """Why the local llama server cannot be started from the environment, or None when it can."""
    python, model = os.environ.get(ENV_PYTHON), os.environ.get(ENV_MODEL)
    if not python or not model:
        return f"set {ENV_PYTHON} (a python with llama-cpp-python[server]) and {ENV_MODEL} (a .gguf file)"
    if not Path(python).is_file():
        return f"{ENV_PYTHON}={python} is not a file"
    if not Path(model).is_file():
        return f"{ENV_MODEL}={model} is not a file"
    probe = subprocess.run([python, "-c", "import llama_cpp.server.app"], capture_output=True, timeout=120)
    if probe.returncode != 0:
        return f"{python} cannot import llama_cpp.server (pip install 'llama-cpp-python[server]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    """Start `python -m llama_cpp.server` for one GGUF model and wait until it answers /v1/models."""

    def __init__(self, model: str | Path, *, python: str, alias: str | None = None, n_ctx: int = 8192,
                 threads: int = 2, port: int = 0, start_timeout: float = 300.0, log: Path | None = None):
        self.model, self.python = Path(model), python
        self.alias = alias or self.model.stem
        self.port = port or _free_port()
        self.n_ctx, self.threads, self.start_timeout, self.log = n_ctx, threads, start_timeout, log
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        return [self.python, "-m", "llama_cpp.server", "--model", str(self.model), "--model_alias", self.alias,
                "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(self.n_ctx),
                "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads), "--verbose", "False"]

    def __enter__(self) -> "LlamaServer":
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     preexec_fn=preexec(signal.SIGKILL))
        if self.log:
            out.close()
        deadline = time.monotonic() + self.start_timeout
        with http.httpx.Client(timeout=5.0) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"the llama server exited with code {self.proc.returncode}"
                                       + (f" (see {self.log})" if self.log else ""))
                try:
                    if client.get(f"{self.base_url}/models").status_code == 200:
                        return self
                except http.httpx.TransportError:
                    pass
                time.sleep(0.5)
        self.__exit__(None, None, None)
        raise TimeoutError(f"the llama server did not answer within {self.start_timeout:.0f} s")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
