"""Signed PDFs checked by an independent validator (pyHanko): labelling appends an incremental
update, so the signature stays intact and valid. The implicit label alone is a metadata-only
update; a visible notice is a page change that validators report as a modification after signing;
certified PDFs refuse what their DocMDP permission forbids."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import pytest

from labeler import LabelOptions, label_file

from .conftest import FIXTURES, PRODUCER

pytest.importorskip("pyhanko")
x509 = pytest.importorskip("cryptography.x509")

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from pyhanko.keys import load_cert_from_pemder  # noqa: E402
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter  # noqa: E402
from pyhanko.pdf_utils.reader import PdfFileReader  # noqa: E402
from pyhanko.sign import signers  # noqa: E402
from pyhanko.sign.diff_analysis import ModificationLevel  # noqa: E402
from pyhanko.sign.fields import MDPPerm  # noqa: E402
from pyhanko.sign.validation import validate_pdf_signature  # noqa: E402
from pyhanko_certvalidator import ValidationContext  # noqa: E402


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pki")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "labeler test signer")])
    start = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3650))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return folder / "key.pem", folder / "cert.pem"


def signed_copy(pki: tuple[Path, Path], target: Path, certify: MDPPerm | None = None) -> Path:
    signer = signers.SimpleSigner.load(str(pki[0]), str(pki[1]))
    writer = IncrementalPdfFileWriter(io.BytesIO((FIXTURES / "samples" / "document" / "report.pdf").read_bytes()))
    meta = signers.PdfSignatureMetadata(
        field_name="Signature1", certify=certify is not None, docmdp_permissions=certify or MDPPerm.FILL_FORMS
    )
    out = io.BytesIO()
    signers.sign_pdf(writer, meta, signer=signer, output=out)
    target.write_bytes(out.getvalue())
    return target


def validate(path: Path, cert: Path):
    with open(path, "rb") as handle:
        signature = PdfFileReader(handle).embedded_signatures[0]
        return validate_pdf_signature(signature, ValidationContext(trust_roots=[load_cert_from_pemder(str(cert))]))


def test_implicit_label_is_a_metadata_only_update(pki: tuple[Path, Path], tmp_path: Path) -> None:
    src = signed_copy(pki, tmp_path / "signed.pdf")
    out = tmp_path / "out.pdf"
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    status = validate(out, pki[1])
    assert status.intact and status.valid and status.trusted
    assert status.modification_level <= ModificationLevel.FORM_FILLING and status.docmdp_ok


def test_notice_keeps_signature_intact_and_valid(pki: tuple[Path, Path], tmp_path: Path) -> None:
    src = signed_copy(pki, tmp_path / "signed.pdf")
    out = tmp_path / "out.pdf"
    result = label_file(src, out, LabelOptions(producer=PRODUCER))
    assert result.ok and result.verdict.status == "compliant", result.error
    assert out.read_bytes().startswith(src.read_bytes())
    status = validate(out, pki[1])
    assert status.intact and status.valid and status.trusted
    assert status.modification_level == ModificationLevel.OTHER  # a page change after signing, reported as such


def test_certified_pdf_refuses_notice_but_takes_implicit_label(pki: tuple[Path, Path], tmp_path: Path) -> None:
    src = signed_copy(pki, tmp_path / "certified.pdf", certify=MDPPerm.FILL_FORMS)
    refused = label_file(src, tmp_path / "full.pdf", LabelOptions(producer=PRODUCER))
    assert not refused.ok and "DocMDP P=2" in refused.error and not (tmp_path / "full.pdf").exists()
    out = tmp_path / "implicit.pdf"
    result = label_file(src, out, LabelOptions(producer=PRODUCER, explicit=False))
    assert result.ok, result.error
    status = validate(out, pki[1])
    assert status.intact and status.valid and status.docmdp_ok
