"""``--engine dask`` against a real cluster started here: ``dask scheduler`` and two ``dask worker``
processes on localhost, S3 served by moto's server. A worker killed mid-upload leaves nothing at
the final key and the file is done by the other worker; the Dask run gives the local pool's
results on 300 mixed files; an unreachable scheduler is one usage error."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import FIXTURES, PRODUCER
from .remote_services import DaskCluster, S3Server, subprocess_env

pytestmark = pytest.mark.slow
LABEL = ["--producer", PRODUCER, "--no-explicit", "--no-progress", "--format", "json"]


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster(s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskCluster]:
    # The workers find the store the usual way: AWS_* variables (AWS_ENDPOINT_URL for S3-compatibles).
    os.environ["AWS_ENDPOINT_URL"] = s3.endpoint
    try:
        running = DaskCluster(tmp_path_factory.mktemp("dask"))
    finally:
        del os.environ["AWS_ENDPOINT_URL"]
    yield running
    running.stop()


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labeler", *args], capture_output=True, text=True, env=subprocess_env(**env), timeout=1800)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_scheduler_is_one_usage_error(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURES / "samples/image/png-rgb.png", tmp_path / "a.png")
    started = time.monotonic()
    done = cli(
        "label",
        str(tmp_path / "a.png"),
        "--out",
        str(tmp_path / "out"),
        *LABEL,
        "--engine",
        "dask",
        "--scheduler",
        f"tcp://127.0.0.1:{free_port()}",
    )
    assert done.returncode == 2, done.stderr
    assert "cannot reach the Dask scheduler" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 120
    assert not (tmp_path / "out" / "a.png").exists()


def test_dask_labels_and_verifies_s3_objects(s3: S3Server, cluster: DaskCluster, tmp_path: Path) -> None:
    bucket = s3.bucket("dask-basic")
    odd = "in/dir one/#2 ?q=1 标签 é.png"
    s3.put(bucket, odd, (FIXTURES / "samples/image/png-rgb.png").read_bytes())
    s3.put(bucket, "in/notes.txt", (FIXTURES / "samples/text/article-utf8.txt").read_bytes())
    env = {"LABELER_DASK_SCHEDULER": cluster.address, "AWS_ENDPOINT_URL": s3.endpoint}
    done = cli("label", f"s3://{bucket}/in", "--out", f"s3://{bucket}/out", *LABEL, "--engine", "dask", **env)
    assert done.returncode == 0, done.stderr
    assert sorted(f["status"] for f in json.loads(done.stdout)["files"]) == ["labelled", "labelled"]
    assert sorted(k for k in s3.keys(bucket, "out/") if "/.labeler-" not in k) == sorted(
        ["out/dir one/#2 ?q=1 标签 é.png", "out/notes.txt", "out/notes.txt.aigc.json"]
    )
    checked = cli("verify", f"s3://{bucket}/out", "--format", "json", "--no-progress", "--engine", "dask", **env)
    paths = {f["path"]: f["implicit"]["present"] for f in json.loads(checked.stdout)["files"]}
    assert paths == {f"s3://{bucket}/out/dir one/#2 ?q=1 标签 é.png": True, f"s3://{bucket}/out/notes.txt": True}, checked.stderr


def test_worker_killed_mid_upload_publishes_nothing_partial_and_the_file_is_retried(s3: S3Server, cluster: DaskCluster) -> None:
    bucket = s3.bucket("dask-kill")
    source = (FIXTURES / "samples/image/jpeg-baseline-exif-icc.jpg").read_bytes()
    s3.put(bucket, "in/photo.jpg", source)
    s3.gate.arrived.clear()
    s3.gate.release.clear()
    s3.gate.armed = True
    labelling = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labeler",
            "label",
            f"s3://{bucket}/in",
            "--out",
            f"s3://{bucket}/out",
            *LABEL,
            "--engine",
            "dask",
            "--scheduler",
            cluster.address,
            *s3.options(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=subprocess_env(),
    )
    try:
        assert s3.gate.arrived.wait(600), "the upload never started"
        busy = [address for address, keys in cluster.client.processing().items() if any(str(k).startswith("labeler-") for k in keys)]
        assert len(busy) == 1
        pid = cluster.client.run(os.getpid, workers=busy)[busy[0]]
        os.kill(pid, signal.SIGKILL)  # the worker (and with it the process uploading) dies while its PUT is in flight
        time.sleep(1)
        assert "out/photo.jpg" not in s3.keys(bucket, "out/")  # nothing at the final key (the upload to a temporary key is held)
    finally:
        s3.gate.armed = False
        s3.gate.release.set()
    stdout, stderr = labelling.communicate(timeout=1200)
    assert labelling.returncode == 0, stderr
    assert [f["status"] for f in json.loads(stdout)["files"]] == ["labelled"]
    assert s3.get(bucket, "in/photo.jpg") == source  # the input is never modified
    assert [k for k in s3.keys(bucket, "out/") if "/.labeler-" not in k] == ["out/photo.jpg"]
    assert not [k for k in s3.keys(bucket) if "/.labeler-tmp/" in k]  # the killed upload's temporary key is swept
    output = Path(cluster.file.parent, "photo.jpg")
    output.write_bytes(s3.get(bucket, "out/photo.jpg"))
    tags = subprocess.run(
        [
            "exiftool",
            "-config",
            str(Path(__file__).parent.parent / "labeler/data/exiftool-tc260.config"),
            "-j",
            "-XMP-TC260:AIGC",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert PRODUCER in json.loads(tags.stdout)[0]["AIGC"]  # the published object is whole and labelled


def _mixed_inputs(folder: Path, count: int) -> None:
    """``count`` files from fixtures/samples in a few folders, plus files that must fail the same way."""
    samples = sorted(p for p in (FIXTURES / "samples").rglob("*") if p.is_file())
    for n in range(count - 3):
        sample = samples[n % len(samples)]
        target = folder / sample.parent.name / f"{n // len(samples)}" / sample.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sample, target)
    (folder / "broken").mkdir()
    (folder / "broken" / "truncated.jpg").write_bytes((FIXTURES / "samples/image/jpeg-progressive.jpg").read_bytes()[:300])
    (folder / "broken" / "data.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "broken" / "empty.png").write_bytes(b"")


def test_dask_and_local_pool_give_the_same_results_on_300_mixed_files(s3: S3Server, cluster: DaskCluster, tmp_path: Path) -> None:
    _mixed_inputs(tmp_path / "in", 300)
    local = cli("label", str(tmp_path / "in"), "--out", str(tmp_path / "local"), *LABEL, "-j", "2")
    assert local.returncode in (0, 1), local.stderr
    bucket = s3.bucket("dask-300")
    for path in sorted((tmp_path / "in").rglob("*")):
        if path.is_file():
            s3.put(bucket, "in/" + path.relative_to(tmp_path / "in").as_posix(), path.read_bytes())
    remote = cli(
        "label",
        f"s3://{bucket}/in",
        "--out",
        f"s3://{bucket}/out",
        *LABEL,
        "--engine",
        "dask",
        "--scheduler",
        cluster.address,
        *s3.options(),
    )
    assert remote.returncode == local.returncode, remote.stderr
    pool = {Path(f["source"]).relative_to(tmp_path / "in").as_posix(): f for f in json.loads(local.stdout)["files"]}
    dask = {f["source"].removeprefix(f"s3://{bucket}/in/"): f for f in json.loads(remote.stdout)["files"]}
    assert len(pool) == 300 and set(dask) == set(pool)
    assert {k: f["status"] for k, f in dask.items()} == {k: f["status"] for k, f in pool.items()}
    assert {k: f["label"] for k, f in dask.items()} == {k: f["label"] for k, f in pool.items()}
    assert {f["status"] for f in pool.values()} >= {"labelled", "failed"}
    written = sorted(
        p.relative_to(tmp_path / "local").as_posix()
        for p in (tmp_path / "local").rglob("*")
        if p.is_file() and not p.name.startswith(".labeler")
    )
    assert sorted(k.removeprefix("out/") for k in s3.keys(bucket, "out/") if "/.labeler" not in "/" + k) == written
    for relative in written:  # implicit-only: byte for byte the same outputs
        assert s3.get(bucket, "out/" + relative) == (tmp_path / "local" / relative).read_bytes(), relative


def test_local_paths_on_dask_commit_each_task_durably_and_match_the_local_pool(cluster: DaskCluster, tmp_path: Path) -> None:
    # Local paths on Dask: the workers write beside the outputs and each task's files are made
    # durable together on the worker (one syncfs, then the renames), as the local pool's group commit.
    _mixed_inputs(tmp_path / "in", 200)
    local = cli("label", str(tmp_path / "in"), "--out", str(tmp_path / "local"), *LABEL, "-j", "2")
    remote = cli("label", str(tmp_path / "in"), "--out", str(tmp_path / "dask"), *LABEL, "--engine", "dask", "--scheduler", cluster.address)
    assert remote.returncode == local.returncode in (0, 1), remote.stderr
    pool = {f["source"]: f for f in json.loads(local.stdout)["files"]}
    dask = {f["source"]: f for f in json.loads(remote.stdout)["files"]}
    assert set(dask) == set(pool) and len(pool) == 200
    assert {k: (f["status"], f["label"]) for k, f in dask.items()} == {k: (f["status"], f["label"]) for k, f in pool.items()}
    written = [f for f in dask.values() if f["status"] == "labelled"]
    assert written and all(f["write"]["durable"].startswith("group commit (") for f in written)
    for f in written:  # implicit-only: byte for byte the local pool's output
        mine = Path(f["output"])
        assert mine.read_bytes() == (tmp_path / "local" / mine.relative_to(tmp_path / "dask")).read_bytes(), mine
    assert not [p for p in (tmp_path / "dask").rglob(".labeler-*") if p.name != ".labeler-journal.jsonl" and "lock" not in p.name]
    again = cli(
        "label",
        str(tmp_path / "in"),
        "--out",
        str(tmp_path / "dask"),
        *LABEL,
        "--engine",
        "dask",
        "--scheduler",
        cluster.address,
        "--resume",
    )
    redone = {f["source"] for f in json.loads(again.stdout)["files"]}
    assert redone == {k for k, f in dask.items() if f["status"] == "failed"}, "every committed file is in the journal"


def test_chunks_shrink_towards_the_end_of_a_batch() -> None:
    from labeler.remote.dask_engine import MAX_CHUNK, chunk_size

    sizes, left = [], 10_000
    while left:
        sizes.append(chunk_size(left, 2))
        left -= sizes[-1]
    assert sizes[0] == MAX_CHUNK and sizes[-8:] == [1] * 8 and sizes == sorted(sizes, reverse=True)


def test_per_file_limits_on_dask_fail_only_that_file(cluster: DaskCluster) -> None:
    # Chunks of 5, 4, 3...: the file that times out and the one that kills its process are each that
    # file's failure; the files queued behind them in the same task run in a new child process.
    from labeler.pool import Limits
    from labeler.remote.dask_engine import DaskEngine

    from .remote_services import misbehaving_work

    with DaskEngine(cluster.address, 2) as engine:
        results = engine.run(list(range(40)), misbehaving_work, limits=Limits(seconds=3), failed=lambda n, why: f"{n}: {why}")
    assert results[3].startswith("3: timed out after 3 s") and results[5].startswith("5: the worker died (signal 9)")
    assert [r for n, r in enumerate(results) if n not in (3, 5)] == [2 * n for n in range(40) if n not in (3, 5)]
