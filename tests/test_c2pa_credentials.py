"""C2PA: an expired or untrusted credential is not tampering.

The chain is made with the ``cryptography`` package; its leaf is valid for two seconds, so c2pa
accepts it when signing and finds it expired when the file is verified a moment later (c2pa
refuses to sign with an already expired certificate, and no time stamp proves when it signed).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from labeler.c2pa import C2paSettings, SignalOptions, read_signals
from labeler.c2pa.read import C2paSignal
from labeler.c2pa.sign import sign_embedded
from labeler.c2pa.signals import cross_check
from labeler.verify import verify_file

AI = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
LIFETIME_S = 2


def _cert(
    subject: str, key: ec.EllipticCurvePrivateKey, issuer: str, issuer_key: ec.EllipticCurvePrivateKey, *, ca: bool, until: dt.datetime
) -> x509.Certificate:
    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    usage = {"digital_signature": not ca, "key_cert_sign": ca, "crl_sign": ca}
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(subject))
        .issuer_name(name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
        .add_extension(
            x509.KeyUsage(
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
                **usage,
            ),
            critical=True,
        )
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]), critical=False
        )
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def expiring(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A PNG signed with a leaf certificate that has expired by the time the fixture returns, and the root."""
    folder = tmp_path_factory.mktemp("expiring")
    now = dt.datetime.now(dt.timezone.utc)
    root_key, inter_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    later = now + dt.timedelta(days=365)
    root = _cert("test root", root_key, "test root", root_key, ca=True, until=later)
    inter = _cert("test intermediate", inter_key, "test root", root_key, ca=True, until=later)
    leaf = _cert("short-lived signer", leaf_key, "test intermediate", inter_key, ca=False, until=now + dt.timedelta(seconds=LIFETIME_S))
    pem = serialization.Encoding.PEM
    (folder / "chain.pem").write_bytes(leaf.public_bytes(pem) + inter.public_bytes(pem))
    (folder / "root.pem").write_bytes(root.public_bytes(pem))
    (folder / "key.pem").write_bytes(leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    source = folder / "in.png"
    Image.fromarray(np.random.default_rng(3).integers(0, 255, (48, 64, 3), dtype=np.uint8)).save(source)
    signed = folder / "signed.png"
    sign_embedded(source, signed, "image/png", None, AI, C2paSettings(folder / "chain.pem", folder / "key.pem"), "in.png")
    time.sleep(max(0.0, (now + dt.timedelta(seconds=LIFETIME_S + 1) - dt.datetime.now(dt.timezone.utc)).total_seconds()))
    return signed, folder / "root.pem"


def test_expired_certificate_is_named_not_called_tampering(expiring: tuple[Path, Path]) -> None:
    signed, _ = expiring
    signals = read_signals(signed, None)
    assert signals.c2pa is not None and "signingCredential.expired" in signals.c2pa.failures
    rules = {p.rule: p for p in signals.problems}
    assert set(rules) == {"c2pa.credential-expired"}, [str(p) for p in signals.problems]
    assert "changed after signing" not in str(rules["c2pa.credential-expired"]) and not rules["c2pa.credential-expired"].is_error
    required = verify_file(signed, signals=SignalOptions(require_c2pa=True))
    assert [p.rule for p in required.signals.problems if p.is_error] == ["c2pa.credential-expired"]  # --require c2pa still fails it


def test_with_trust_anchors_untrusted_is_named_too(expiring: tuple[Path, Path]) -> None:
    signed, root = expiring
    rules = {p.rule for p in read_signals(signed, None, SignalOptions(trust_anchors=root)).problems}
    assert "c2pa.credential-expired" in rules and "c2pa.invalid" not in rules


def test_expired_and_edited_reports_both(expiring: tuple[Path, Path], tmp_path: Path) -> None:
    signed, _ = expiring
    data = bytearray(signed.read_bytes())
    idat = data.index(b"IDAT") + 20
    data[idat] ^= 0xFF  # one pixel byte changed after signing
    edited = tmp_path / "edited.png"
    edited.write_bytes(bytes(data))
    problems = {p.rule: str(p) for p in read_signals(edited, None).problems}
    assert {"c2pa.invalid", "c2pa.credential-expired"} <= set(problems)
    assert "changed after signing" in problems["c2pa.invalid"] and "Hash.mismatch" in problems["c2pa.invalid"]


@pytest.mark.parametrize(
    ("codes", "rules"),
    [
        (("signingCredential.revoked",), {"c2pa.credential-revoked"}),
        (("signingCredential.invalid",), {"c2pa.credential-invalid"}),
        (("timeStamp.untrusted", "timeStamp.outsideValidity"), {"c2pa.timestamp"}),
        (("claimSignature.mismatch",), {"c2pa.invalid"}),
        (("assertion.bmffHash.mismatch", "signingCredential.untrusted"), {"c2pa.invalid"}),
        (("claim.missing",), {"c2pa.invalid"}),
        ((), {"c2pa.invalid"}),
    ],
)
def test_failure_codes_map_to_their_own_rules(codes: tuple[str, ...], rules: set[str]) -> None:
    found = cross_check(None, C2paSignal("Invalid", True, failures=codes), None, SignalOptions())
    assert {p.rule for p in found} == rules
    changed = any("changed after signing" in p.message for p in found)
    assert changed == any(code.endswith(("Hash.mismatch", "Signature.mismatch")) for code in codes)
