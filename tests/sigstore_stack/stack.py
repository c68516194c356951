"""HTTP front end (Fulcio ``/api/v2/signingCert`` + Rekor ``/api/v1/log/entries``) and trust config."""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .ca import CertificateAuthority, spki_der
from .rekor import BadEntry, TransparencyLog

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned_jwt(claims: Mapping[str, Any]) -> str:
    """An unsigned (alg "none") JWT: sigstore-python does not verify token signatures, Fulcio would."""
    header = _b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64url(json.dumps(dict(claims)).encode())}."


def github_claims(
    repository: str = "octo/widgets",
    workflow: str = ".github/workflows/release.yml",
    ref: str = "refs/heads/main",
    *,
    issuer: str = GITHUB_ISSUER,
    lifetime: int = 600,
) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": issuer,
        "aud": "sigstore",
        "sub": f"repo:{repository}:ref:{ref}",
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "repository": repository,
        "repository_owner": repository.split("/")[0],
        "ref": ref,
        "sha": "0" * 40,
        "event_name": "push",
        "workflow": "release",
        "job_workflow_ref": f"{repository}/{workflow}@{ref}",
    }


def _jwt_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return decoded


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


class SigstoreStack:
    """Start with ``SigstoreStack.start()``; ``close()`` stops the server."""

    def __init__(self) -> None:
        self.ca = CertificateAuthority.create()
        self.log = TransparencyLog()
        self.requests: list[str] = []
        stack = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _reply(self, code: int, doc: Any) -> None:
                data = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                stack.requests.append(self.path)
                if self.path == "/api/v2/signingCert":
                    code, doc = stack._fulcio(self.headers.get("Authorization", ""), body)
                elif self.path == "/api/v1/log/entries":
                    code, doc = stack._rekor(body)
                else:
                    code, doc = 404, {"message": "not found"}
                self._reply(code, doc)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @classmethod
    def start(cls) -> SigstoreStack:
        stack = cls()
        stack._thread.start()
        return stack

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- Fulcio -------------------------------------------------------------------------------------
    def _fulcio(self, auth: str, body: dict[str, Any]) -> tuple[int, Any]:
        if not auth.startswith("Bearer "):
            return 401, {"message": "missing bearer token"}
        try:
            claims = _jwt_claims(auth[len("Bearer ") :])
            csr = x509.load_pem_x509_csr(base64.b64decode(body["certificateSigningRequest"]))
        except (ValueError, KeyError, IndexError) as exc:
            return 400, {"message": f"bad request: {exc}"}
        if not csr.is_signature_valid:
            return 400, {"message": "CSR signature invalid"}
        if claims.get("aud") != "sigstore" or "iss" not in claims or "sub" not in claims:
            return 400, {"message": "token lacks aud/iss/sub"}
        if int(claims.get("exp", 0)) < time.time():
            return 401, {"message": "token expired"}
        key = csr.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return 400, {"message": "only ECDSA keys"}
        leaf = self.ca.issue(key, claims)
        chain = [_pem(leaf), _pem(self.ca.intermediate), _pem(self.ca.root)]
        return 201, {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}

    # --- Rekor --------------------------------------------------------------------------------------
    def _rekor(self, body: dict[str, Any]) -> tuple[int, Any]:
        try:
            return 201, self.log.add(body)
        except (BadEntry, KeyError, ValueError) as exc:
            return 400, {"message": f"bad entry: {exc}"}

    # --- trust material -----------------------------------------------------------------------------
    def trusted_root(self) -> dict[str, Any]:
        start = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def b64(data: bytes) -> str:
            return base64.b64encode(data).decode()

        def tlog(key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
            pub = key.public_key()
            return {
                "baseUrl": self.url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(spki_der(pub)),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": b64(self.log.log_id if key is self.log.key else _kid(pub))},
            }

        der = serialization.Encoding.DER
        return {
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [tlog(self.log.key)],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "nix-attest-test", "commonName": "nix-attest-test"},
                    "uri": self.url,
                    "certChain": {
                        "certificates": [
                            {"rawBytes": b64(self.ca.intermediate.public_bytes(der))},
                            {"rawBytes": b64(self.ca.root.public_bytes(der))},
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [tlog(self.ca.ct_key)],
            "timestampAuthorities": [],
        }

    def signing_config(self) -> dict[str, Any]:
        start = "2020-01-01T00:00:00Z"

        def service(url: str) -> dict[str, Any]:
            return {
                "url": url,
                "majorApiVersion": 1,
                "validFor": {"start": start},
                "operator": "nix-attest-test",
            }

        return {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(self.url)],
            "oidcUrls": [],
            "rekorTlogUrls": [service(self.url)],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        }

    def client_trust_config(self) -> dict[str, Any]:
        return {
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": self.trusted_root(),
            "signingConfig": self.signing_config(),
        }

    def token(self, **kwargs: Any) -> str:
        overrides = kwargs.pop("overrides", {})
        claims = github_claims(**kwargs)
        claims.update(overrides)
        return unsigned_jwt(claims)


def _kid(pub: ec.EllipticCurvePublicKey) -> bytes:
    from .ca import key_id

    return key_id(pub)
