"""A throwaway root -> intermediate -> leaf chain for trying C2PA signing (never for production).

c2pa refuses a self-signed leaf; it wants a chain whose leaf has KeyUsage digitalSignature and an
ExtendedKeyUsage it recognises (emailProtection, documentSigning). The keys written here are for
tests and demos: real signing needs a certificate from a CA on the C2PA trust list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The key kinds c2pa signs with (one per entry of ``_KEYS``).
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

#: c2pa algorithm name -> (key factory, signature hash for the certificates).
_KEYS: dict[str, tuple[Callable[[], PrivateKey], type[hashes.SHA256] | None]] = {
    "es256": (lambda: ec.generate_private_key(ec.SECP256R1()), hashes.SHA256),
    "ps256": (lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048), hashes.SHA256),
    "ed25519": (ed25519.Ed25519PrivateKey.generate, None),
}
ALGORITHMS = tuple(_KEYS)
#: id-kp-documentSigning (RFC 9336); cryptography names it only in recent versions.
_DOCUMENT_SIGNING = x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")


@dataclass(frozen=True)
class DevPki:
    chain: Path  # leaf + intermediate, PEM: what --c2pa-cert takes
    key: Path  # the leaf's private key, PKCS#8 PEM: what --c2pa-key takes
    root: Path  # the root certificate: what --trust-anchors takes
    alg: str


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "labeler test PKI"), x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    )


def _certificate(subject: str, key: PrivateKey, issuer: str, issuer_key: PrivateKey, alg: str, *, ca: bool) -> x509.Certificate:
    now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    if ca:
        usage = {"digital_signature": False, "key_cert_sign": True, "crl_sign": True}
    else:
        usage = {"digital_signature": True, "key_cert_sign": False, "crl_sign": False}
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, _DOCUMENT_SIGNING]), critical=False)
    builder = builder.add_extension(
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
    digest = _KEYS[alg][1]
    return builder.sign(issuer_key, digest() if digest else None)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_test_pki(folder: Path, alg: str = "es256") -> DevPki:
    """Write ``chain.pem``, ``key.pem`` and ``root.pem`` into ``folder`` (created if missing)."""
    if alg not in _KEYS:
        raise ValueError(f"algorithm {alg!r} is not one of {', '.join(ALGORITHMS)}")
    new_key = _KEYS[alg][0]
    root_key, inter_key, leaf_key = new_key(), new_key(), new_key()
    root = _certificate("labeler test root CA", root_key, "labeler test root CA", root_key, alg, ca=True)
    inter = _certificate("labeler test intermediate CA", inter_key, "labeler test root CA", root_key, alg, ca=True)
    leaf = _certificate("labeler test signer", leaf_key, "labeler test intermediate CA", inter_key, alg, ca=False)
    folder.mkdir(parents=True, exist_ok=True)
    pki = DevPki(folder / "chain.pem", folder / "key.pem", folder / "root.pem", alg)
    pki.chain.write_bytes(_pem(leaf) + _pem(inter))
    pki.root.write_bytes(_pem(root))
    pki.key.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    pki.key.chmod(0o600)
    return pki
