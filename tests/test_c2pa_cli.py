"""The C2PA flags as users and CI run them: signing, env-var key paths, --trust-anchors, --require c2pa."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from labeler.c2pa.pki import make_test_pki
from labeler.cli import build_parser, main

from .c2pa_media import make_media
from .conftest import PRODUCER, ROOT

SCHEMA = json.loads((ROOT / "docs" / "report.schema.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    return make_test_pki(tmp_path_factory.mktemp("cli-pki"))


def _inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    make_media("photo.jpg", folder)
    (folder / "post.md").write_text("# Launch\n\nCopy written by a model.\n", encoding="utf-8")
    return folder


def _verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["verify", *args, "--format", "json", "--no-progress", "--jobs", "1"])
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, SCHEMA)
    return code, document


def test_label_signs_and_verify_reports(tmp_path: Path, pki, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(
        [
            "label",
            str(_inputs(tmp_path)),
            "--out",
            str(out),
            "--producer",
            PRODUCER,
            "--no-progress",
            "--jobs",
            "1",
            "-v",
            "--c2pa-cert",
            str(pki.chain),
            "--c2pa-key",
            str(pki.key),
            "--c2pa-alg",
            "es256",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0, text
    assert "sign C2PA manifest embedded (image/jpeg) with es256" in text
    assert "C2PA not signed: c2pa cannot embed a manifest in MD files" in text
    code, report = _verify(capsys, str(out), "--trust-anchors", str(pki.root))
    assert code == 0
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert by_name["photo.jpg"]["signals"]["c2pa"]["state"] == "Trusted"
    assert by_name["photo.jpg"]["signals"]["c2pa"]["tc260"] == by_name["photo.jpg"]["implicit"]["label"]
    assert by_name["photo.jpg"]["signals"]["iptc"]["ai"] is True
    assert by_name["post.md"]["signals"]["c2pa"] is None
    code, report = _verify(capsys, str(out), "--require", "c2pa")
    assert code == 1
    by_name = {Path(f["path"]).name: f for f in report["files"]}
    assert by_name["photo.jpg"]["status"] == "compliant" and by_name["post.md"]["status"] == "invalid"
    assert by_name["post.md"]["signals"]["problems"][0].startswith("c2pa.missing: ")
    assert main(["verify", str(out / "photo.jpg"), "--no-progress"]) == 0
    assert "c2pa: Valid (labeler test signer; trainedAlgorithmicMedia; TC260 assertion)" in capsys.readouterr().out


def test_key_paths_from_the_environment(tmp_path: Path, pki, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LABELER_C2PA_CERT", str(pki.chain))
    monkeypatch.setenv("LABELER_C2PA_KEY", str(pki.key))
    monkeypatch.setenv("LABELER_C2PA_ALG", "ES256")
    args = build_parser().parse_args(["label", "x", "--out", "y", "--producer", PRODUCER])
    assert (args.c2pa_cert, args.c2pa_key, args.c2pa_alg, args.tsa) == (pki.chain, pki.key, "es256", None)
    out = tmp_path / "out"
    assert main(["label", str(_inputs(tmp_path) / "photo.jpg"), "--out", str(out), "--producer", PRODUCER, "--no-progress"]) == 0
    assert str(pki.key) not in capsys.readouterr().out
    code, report = _verify(capsys, str(out), "--require", "c2pa")
    assert code == 0 and report["files"][0]["signals"]["c2pa"]["state"] == "Valid"


def test_usage_errors_exit_two(tmp_path: Path, pki, capsys: pytest.CaptureFixture[str]) -> None:
    photo = str(_inputs(tmp_path) / "photo.jpg")
    base = ["label", photo, "--out", str(tmp_path / "out"), "--producer", PRODUCER, "--no-progress"]
    assert main([*base, "--c2pa-cert", str(pki.chain)]) == 2
    assert "--c2pa-key (or LABELER_C2PA_KEY) is missing" in capsys.readouterr().err
    assert main([*base, "--c2pa-cert", str(tmp_path / "nope.pem"), "--c2pa-key", str(pki.key)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main([*base, "--c2pa-cert", str(pki.chain), "--c2pa-key", str(pki.key), "--tsa", "ftp://x"]) == 2
    assert main(["verify", photo, "--trust-anchors", str(tmp_path / "none.pem"), "--no-progress"]) == 2
    assert not (tmp_path / "out").exists()


def test_make_test_pki_script(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_test_pki.py"), str(tmp_path / "pki"), "--alg", "ed25519"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--c2pa-alg ed25519" in done.stdout
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    chain = x509.load_pem_x509_certificates((tmp_path / "pki" / "chain.pem").read_bytes())
    assert len(chain) == 2 and chain[0].issuer == chain[1].subject and chain[0].issuer != chain[0].subject
    eku = chain[0].extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku and x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36") in eku
    assert chain[0].extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert (tmp_path / "pki" / "key.pem").stat().st_mode & 0o077 == 0


def test_a_forked_worker_signs_and_reads_after_the_parent_did(tmp_path: Path, pki, capsys: pytest.CaptureFixture[str]) -> None:
    """c2pa-python refuses a Context made in another process; a forked worker inherits the parent's caches."""
    from labeler.c2pa import read, sign

    sign._context(False), read._context(None)  # the parent's contexts, as after an earlier file in this process
    common = ["--producer", PRODUCER, "--c2pa-cert", str(pki.chain), "--c2pa-key", str(pki.key), "--no-progress", "--jobs", "2"]
    out = tmp_path / "out"
    assert main(["label", str(_inputs(tmp_path) / "photo.jpg"), "--out", str(out), *common]) == 0
    assert "c2pa cannot" not in capsys.readouterr().out
    code, report = _verify(capsys, str(out), "--require", "c2pa", "--jobs", "2")
    assert code == 0 and report["files"][0]["signals"]["c2pa"]["state"] == "Valid"
