"""URLs on the local pool: label and verify straight from an S3-compatible store (moto's server on
localhost), publish only whole verified objects, resume from the journal beside the outputs, odd
keys, and clear usage errors for a store that cannot be used. Outputs are read back with boto3
and checked with exiftool (independent of labeler)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from labeler.remote.storage import ObjectUrl, StorageError, is_url, open_location, parse_storage_options, path_or_url

from .conftest import FIXTURES, PRODUCER
from .remote_services import S3Server, subprocess_env

LABEL = ["--producer", PRODUCER, "--no-explicit", "--no-progress", "-j", "1"]
ODD = "odd dir/a b #1?x=y&z 标签 é.jpg"


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    server = S3Server()
    yield server
    server.stop()


def cli(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "labeler", *args], capture_output=True, text=True, env=subprocess_env(**env), timeout=600)


def upload_samples(s3: S3Server, bucket: str) -> dict[str, bytes]:
    inputs = {
        "img/photo.jpg": (FIXTURES / "samples/image/jpeg-baseline-exif-icc.jpg").read_bytes(),
        "img/pic.png": (FIXTURES / "samples/image/png-rgb.png").read_bytes(),
        "text/article.txt": (FIXTURES / "samples/text/article-utf8.txt").read_bytes(),
        ODD: (FIXTURES / "samples/image/jpeg-gray.jpg").read_bytes(),
    }
    for key, data in inputs.items():
        s3.put(bucket, "in/" + key, data)
    return inputs


def exiftool_label(path: Path) -> str:
    found = subprocess.run(
        [
            "exiftool",
            "-config",
            str(Path(__file__).parent.parent / "labeler/data/exiftool-tc260.config"),
            "-j",
            "-XMP-TC260:AIGC",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(found.stdout)[0].get("AIGC", ""))


def test_urls_and_storage_options_parse() -> None:
    assert is_url("s3://bucket/prefix") and is_url("file:///tmp/x") and not is_url("C:\\data") and not is_url("./s3:/x")
    assert path_or_url("s3://b/k") == "s3://b/k" and isinstance(path_or_url("folder"), Path)
    assert parse_storage_options(["anon=true", "client_kwargs.region_name=eu-west-1", "endpoint_url=http://h:9000", "n=5"]) == {
        "anon": True,
        "client_kwargs": {"region_name": "eu-west-1"},
        "endpoint_url": "http://h:9000",
        "n": 5,
    }
    with pytest.raises(StorageError, match="KEY=VALUE"):
        parse_storage_options(["novalue"])
    url = ObjectUrl("s3://b/dir/a b.jpg")
    assert url.name == "a b.jpg" and url.suffix == ".jpg" and str(url) == "s3://b/dir/a b.jpg" and not url.is_file()


def test_unknown_protocol_and_missing_bucket_are_usage_errors(s3: S3Server, tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        open_location("nosuchproto://x/y", {})
    started = time.monotonic()
    done = cli("label", "s3://no-such-bucket/in", "--out", "s3://no-such-bucket/out", *LABEL, *s3.options())
    assert done.returncode == 2, done.stderr
    assert "no-such-bucket" in done.stderr and "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert time.monotonic() - started < 60


@pytest.mark.slow
def test_unreachable_endpoint_is_one_usage_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    done = cli("verify", "s3://bucket/in", "--no-progress", "--storage-option", f"endpoint_url=http://127.0.0.1:{port}")
    assert done.returncode == 2, done.stderr
    assert "cannot list s3://bucket/in" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 120


@pytest.mark.slow
def test_label_s3_to_s3_publishes_verified_objects_and_resumes(s3: S3Server, tmp_path: Path) -> None:
    bucket = s3.bucket("lab")
    inputs = upload_samples(s3, bucket)
    done = cli("label", f"s3://{bucket}/in", "--out", f"s3://{bucket}/out", "--format", "json", *LABEL, *s3.options())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {f["status"] for f in report["files"]} == {"labelled"}
    assert {f["source"] for f in report["files"]} == {f"s3://{bucket}/in/{k}" for k in inputs}
    # inputs untouched; every output is whole and carries the label (exiftool reads it); the text's sidecar travels with it
    for key, data in inputs.items():
        assert s3.get(bucket, "in/" + key) == data
    out_keys = set(s3.keys(bucket, "out/"))
    assert {"out/" + k for k in inputs} | {"out/text/article.txt.aigc.json"} <= out_keys
    assert not [k for k in out_keys if "/.labeler-tmp/" in k]  # temporary keys swept
    for key in ("img/photo.jpg", ODD):
        local = tmp_path / "check.jpg"
        local.write_bytes(s3.get(bucket, "out/" + key))
        assert f'"ContentProducer":"{PRODUCER}"' in exiftool_label(local)
    assert json.loads(s3.get(bucket, "out/text/article.txt.aigc.json"))["ContentProducer"] == PRODUCER
    # verify reads the objects (and the sidecar) from the store
    checked = cli("verify", f"s3://{bucket}/out", "--format", "json", "--no-progress", "-j", "1", *s3.options())
    verdicts = {f["path"]: f for f in json.loads(checked.stdout)["files"]}
    assert set(verdicts) == {f"s3://{bucket}/out/{k}" for k in inputs}, checked.stderr
    assert all(v["implicit"]["present"] for v in verdicts.values())
    # --resume: nothing is redone; a changed source is
    again = cli("label", f"s3://{bucket}/in", "--out", f"s3://{bucket}/out", "--resume", "--format", "json", *LABEL, *s3.options())
    assert again.returncode == 0 and json.loads(again.stdout)["files"] == []
    assert len(json.loads(again.stdout)["skipped"]) == len(inputs)
    s3.put(bucket, "in/img/pic.png", (FIXTURES / "samples/image/png-gray.png").read_bytes())
    third = cli("label", f"s3://{bucket}/in", "--out", f"s3://{bucket}/out", "--resume", "--format", "json", *LABEL, *s3.options())
    assert [f["source"] for f in json.loads(third.stdout)["files"]] == [f"s3://{bucket}/in/img/pic.png"]


def test_task_run_twice_is_idempotent_and_odd_key_round_trips(s3: S3Server) -> None:
    from labeler.remote.journal import RemoteJournal
    from labeler.remote.tasks import LabelTask
    from labeler.remote.urls import list_items
    from labeler.roles import LabelOptions

    bucket = s3.bucket("twice")
    s3.put(bucket, "in/" + ODD, (FIXTURES / "samples/image/jpeg-gray.jpg").read_bytes())
    options = {"endpoint_url": s3.endpoint, "key": "testing", "secret": "testing"}
    source, out = open_location(f"s3://{bucket}/in", options), open_location(f"s3://{bucket}/out", options)
    items, _ = list_items([source])
    assert [i.relative for i in items] == [ODD]
    task = LabelTask((source,), out, LabelOptions(producer=PRODUCER, explicit=False), "0" * 32)
    first, second = task(items[0]), task(items[0])
    assert first.status == second.status == "labelled" and str(first.output) == f"s3://{bucket}/out/{ODD}"
    assert s3.keys(bucket, "out/") == ["out/" + ODD]
    journal = RemoteJournal(out, "1" * 32, resume=False)
    journal.close()
    assert not [k for k in s3.keys(bucket) if ".labeler-tmp" in k]


def test_file_urls_and_in_place_refused(tmp_path: Path) -> None:
    source = tmp_path / "in"
    source.mkdir()
    shutil.copyfile(FIXTURES / "samples/image/png-rgb.png", source / "a #1.png")
    done = cli("label", f"file://{source}", "--out", f"file://{tmp_path / 'out'}", *LABEL)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "a #1.png").is_file() and (source / "a #1.png").read_bytes() == (
        FIXTURES / "samples/image/png-rgb.png"
    ).read_bytes()
    refused = cli("label", "s3://bucket/in", "--in-place", *LABEL)
    assert refused.returncode == 2 and "--in-place is not available for URLs" in refused.stderr
