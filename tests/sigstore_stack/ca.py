"""Fulcio-like certificate authority: root + intermediate, leaf certificates with the Fulcio profile,
GitHub OIDC extensions and exactly one embedded precertificate SCT from a test CT log key."""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID, NameOID

_OID = "1.3.6.1.4.1.57264.1."


def spki_der(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(spki_der(key)).digest()


def der_utf8(text: str) -> bytes:
    body = text.encode()
    if len(body) < 0x80:
        return bytes([0x0C, len(body)]) + body
    n = (len(body).bit_length() + 7) // 8
    return bytes([0x0C, 0x80 | n]) + len(body).to_bytes(n, "big") + body


def der_octet_string(body: bytes) -> bytes:
    if len(body) < 0x80:
        return bytes([0x04, len(body)]) + body
    n = (len(body).bit_length() + 7) // 8
    return bytes([0x04, 0x80 | n]) + len(body).to_bytes(n, "big") + body


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nix-attest-test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


@dataclass
class CertificateAuthority:
    root_key: ec.EllipticCurvePrivateKey
    root: x509.Certificate
    intermediate_key: ec.EllipticCurvePrivateKey
    intermediate: x509.Certificate
    ct_key: ec.EllipticCurvePrivateKey
    sct_count: int = 1  # tests may set 0 or 2 to produce a non-conforming certificate

    @classmethod
    def create(cls, name: str = "nix-attest-test") -> CertificateAuthority:
        now = dt.datetime.now(dt.timezone.utc)
        start, end = now - dt.timedelta(days=1), now + dt.timedelta(days=365)
        root_key = ec.generate_private_key(ec.SECP384R1())
        root_ski = x509.SubjectKeyIdentifier.from_public_key(root_key.public_key())
        root = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{name} root"))
            .issuer_name(_name(f"{name} root"))
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), True)
            .add_extension(root_ski, False)
            .sign(root_key, hashes.SHA384())
        )
        inter_key = ec.generate_private_key(ec.SECP384R1())
        inter = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{name} intermediate"))
            .issuer_name(root.subject)
            .public_key(inter_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(end)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(inter_key.public_key()), False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(root_ski), False)
            .sign(root_key, hashes.SHA384())
        )
        return cls(root_key, root, inter_key, inter, ec.generate_private_key(ec.SECP256R1()))

    def _leaf_builder(
        self,
        public_key: ec.EllipticCurvePublicKey,
        claims: Mapping[str, object],
        serial: int,
        now: dt.datetime,
    ) -> x509.CertificateBuilder:
        issuer = str(claims["iss"])
        san = (
            f"https://github.com/{claims['job_workflow_ref']}"
            if "job_workflow_ref" in claims
            else str(claims.get("email") or claims["sub"])
        )
        general_name: x509.GeneralName = (
            x509.UniformResourceIdentifier(san) if san.startswith("https://") else x509.RFC822Name(san)
        )
        b = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.intermediate.subject)
            .public_key(public_key)
            .serial_number(serial)
            .not_valid_before(now - dt.timedelta(seconds=60))
            .not_valid_after(now + dt.timedelta(minutes=10))
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.intermediate_key.public_key()), False
            )
            .add_extension(x509.SubjectAlternativeName([general_name]), True)
        )

        def ext(n: int, value: bytes) -> None:
            nonlocal b
            b = b.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(f"{_OID}{n}"), value), False)

        ext(1, issuer.encode())  # v1 issuer: raw bytes
        if "repository" in claims:
            server = "https://github.com"
            ext(2, str(claims.get("event_name", "push")).encode())
            ext(3, str(claims.get("sha", "")).encode())
            ext(4, str(claims.get("workflow", "")).encode())
            ext(5, str(claims["repository"]).encode())
            ext(6, str(claims.get("ref", "")).encode())
        ext(8, der_utf8(issuer))  # v2 issuer: DER UTF8String
        if "repository" in claims:
            ext(9, der_utf8(san))
            ext(12, der_utf8(f"{server}/{claims['repository']}"))
            ext(14, der_utf8(str(claims.get("ref", ""))))
        return b

    def issue(self, public_key: ec.EllipticCurvePublicKey, claims: Mapping[str, object]) -> x509.Certificate:
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        serial = x509.random_serial_number()
        pre = self._leaf_builder(public_key, claims, serial, now).sign(self.intermediate_key, hashes.SHA384())
        scts = [self._sct(pre.tbs_certificate_bytes, now) for _ in range(self.sct_count)]
        builder = self._leaf_builder(public_key, claims, serial, now)
        if scts:
            listing = b"".join(struct.pack("!H", len(s)) + s for s in scts)
            value = der_octet_string(struct.pack("!H", len(listing)) + listing)
            builder = builder.add_extension(
                x509.UnrecognizedExtension(ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS, value), False
            )
        return builder.sign(self.intermediate_key, hashes.SHA384())

    def _sct(self, tbs: bytes, now: dt.datetime) -> bytes:
        ts = int(now.timestamp() * 1000)
        issuer_hash = key_id(self.intermediate_key.public_key())  # type: ignore[arg-type]
        signed = (
            struct.pack("!BBQH", 0, 0, ts, 1)
            + issuer_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack("!H", 0)
        )
        sig = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return (
            bytes([0])
            + key_id(self.ct_key.public_key())
            + struct.pack("!QH", ts, 0)
            + bytes([4, 3])
            + struct.pack("!H", len(sig))
            + sig
        )
