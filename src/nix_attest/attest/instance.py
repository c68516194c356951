"""Sigstore's public instance signs GitHub Actions identities of github.com only.

Public-good Fulcio trusts the GitHub Actions issuer ``https://token.actions.githubusercontent.com``
(and its per-enterprise paths ``.../<enterprise>``), not the issuers of GitHub Enterprise Server
(``https://HOST/_services/token``) or of GHE.com data residency (``https://token.actions.SUB.ghe.com``):
Fulcio's identity configuration lists no such issuer. A job there that signs with the public instance
would fetch a token, load the trust root and only then be refused by Fulcio. So it is refused first, in
one line: before any request when the job's server (``GITHUB_SERVER_URL``) is not github.com and the
ambient token would be used, and after reading an explicit token whose issuer is such a GitHub issuer.
The way out is one's own Sigstore instance (``--trust-config``) or a token from an issuer the public
instance accepts (``--identity-token``, ``SIGSTORE_ID_TOKEN``).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from ..errors import UsageError
from ..github.actions import in_actions

GITHUB_COM = "https://github.com"
PUBLIC_GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
WAY_OUT = (
    "sign with your own Sigstore instance (--trust-config FILE) or with an identity token the public "
    "instance accepts (--identity-token, SIGSTORE_ID_TOKEN)"
)


class PublicInstanceError(UsageError):
    """The public Sigstore instance would refuse this job's identity (exit 2)."""


def check_server(env: Mapping[str, str], *, public_instance: bool, explicit_token: bool) -> None:
    """Before any request: the ambient GitHub Actions token of a server other than github.com."""
    if not public_instance or explicit_token or not in_actions(env):
        return
    server = (env.get("GITHUB_SERVER_URL") or GITHUB_COM).strip().rstrip("/")
    if server.lower() == GITHUB_COM:
        return
    raise PublicInstanceError(
        f"refusing to sign: Sigstore's public instance accepts GitHub Actions identity tokens of "
        f"github.com only, and this job runs on {_origin(server)} (GitHub Enterprise Server or GHE.com), "
        f"whose tokens it refuses; {WAY_OUT}"
    )


def check_issuer(claims: Mapping[str, object], *, public_instance: bool) -> None:
    """After reading the token: a GitHub Actions issuer other than github.com's."""
    issuer = claims.get("iss")
    if not public_instance or not isinstance(issuer, str):
        return
    if issuer == PUBLIC_GITHUB_ISSUER or issuer.startswith(PUBLIC_GITHUB_ISSUER + "/"):
        return
    parts = urlsplit(issuer)
    host = (parts.hostname or "").lower()
    github_issuer = host.startswith("token.actions.") or parts.path.rstrip("/").endswith("/_services/token")
    if not github_issuer:
        return  # another provider: Fulcio decides
    raise PublicInstanceError(
        f"refusing to sign: the identity token comes from {_origin(issuer)}, a GitHub Actions issuer "
        f"other than github.com's, which Sigstore's public instance does not accept; {WAY_OUT}"
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else url
    return shown if shown.isprintable() and len(shown) <= 200 else "another host"
