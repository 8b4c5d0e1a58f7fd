"""Real services for the URL and Dask tests, started by the tests themselves on localhost.

- ``S3Server``: moto's ``ThreadedMotoServer`` (the S3 protocol over HTTP), with a WSGI gate that can
  hold the first upload to a temporary key (``.labeler-tmp/``) while a test kills the uploader.
- ``DaskCluster``: ``python -m dask scheduler`` and two ``python -m dask worker`` processes, the
  scheduler's address read from its ``--scheduler-file``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("distributed")
pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")
boto3 = pytest.importorskip("boto3")

ROOT = Path(__file__).resolve().parent.parent
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


#: A task's upload to its run's temporary prefix (not the writability probe beside it).
RUN_TEMP = re.compile(r"/\.labeler-tmp/[0-9a-f]{32}/")


class UploadGate:
    """WSGI middleware: when armed, every upload to a run's temporary keys waits until released.

    Holding all of them, not only the first, keeps a retry on another worker from publishing while a test
    looks at the bucket (the first upload's worker may be killed and its task rescheduled at once)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.armed = False
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.armed and environ["REQUEST_METHOD"] == "PUT" and RUN_TEMP.search(environ.get("PATH_INFO", "")):
            self.arrived.set()
            self.release.wait(120)
        return self.app(environ, start_response)


class _GatedMotoServer(moto_server.ThreadedMotoServer):  # type: ignore[misc, name-defined]
    def _server_entry(self) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        self.gate = UploadGate(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self._ip_address, self._port, self.gate, True)
        self._server_ready_event.set()
        self._server.serve_forever()


class S3Server:
    def __init__(self) -> None:
        self.server = _GatedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        self.client = boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )

    @property
    def gate(self) -> UploadGate:
        return self.server.gate  # type: ignore[no-any-return]

    def options(self) -> list[str]:
        """The CLI's ``--storage-option`` arguments for this endpoint."""
        return [
            "--storage-option",
            f"endpoint_url={self.endpoint}",
            "--storage-option",
            "key=testing",
            "--storage-option",
            "secret=testing",
        ]

    def bucket(self, name: str) -> str:
        self.client.create_bucket(Bucket=name)
        return name

    def put(self, bucket: str, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def get(self, bucket: str, key: str) -> bytes:
        return self.client.get_object(Bucket=bucket, Key=key)["Body"].read()  # type: ignore[no-any-return]

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys += [c["Key"] for c in page.get("Contents", [])]
        return keys

    def stop(self) -> None:
        self.server.stop()


def subprocess_env(**extra: str) -> dict[str, str]:
    """This test's environment for a labeler or dask subprocess: this checkout first on the path."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **CREDENTIALS, **extra)
    env.pop("AWS_CA_BUNDLE", None)  # a CA bundle for a real endpoint is irrelevant to http://127.0.0.1
    return env


class DaskCluster:
    """A real scheduler and ``workers`` worker processes (one thread each) on localhost."""

    def __init__(self, folder: Path, workers: int = 2) -> None:
        self.file = folder / "scheduler.json"
        env = subprocess_env()
        common = ["--no-dashboard"]
        self.scheduler = subprocess.Popen(
            [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file", str(self.file), *common],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while not self.file.exists() or not self.file.read_text().strip():
            if time.monotonic() > deadline or self.scheduler.poll() is not None:
                self.stop()
                raise RuntimeError("the dask scheduler did not start")
            time.sleep(0.2)
        self.address: str = json.loads(self.file.read_text())["address"]
        self.workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "dask",
                    "worker",
                    self.address,
                    "--nthreads",
                    "1",
                    "--host",
                    "127.0.0.1",
                    "--name",
                    f"w{i}",
                    *common,
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(workers)
        ]
        from distributed import Client

        self.client = Client(self.address, timeout=60)
        self.client.wait_for_workers(workers, timeout=180)

    def stop(self) -> None:
        if getattr(self, "client", None) is not None:
            self.client.close()
        for process in [*getattr(self, "workers", []), self.scheduler]:
            process.terminate()
        for process in [*getattr(self, "workers", []), self.scheduler]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def misbehaving_work(n: int) -> int:
    """Per-file work for the Dask limit test (importable by the workers): item 3 overstays its time
    limit, item 5 kills its process, every other item doubles."""
    if n == 3:
        time.sleep(60)
    if n == 5:
        os.kill(os.getpid(), signal.SIGKILL)
    return 2 * n
