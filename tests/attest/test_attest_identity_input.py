"""The identity token is a secret and bad input is bad input: a malformed token is exit 2 before any
trust root is fetched, the token can come from a file or stdin instead of the command line, and
`verify --offline` prints nothing on stderr when it succeeds."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sigstore_stack import SigstoreStack

from nix_attest.cli import main

VECTORS = Path(__file__).resolve().parents[1] / "data" / "sigstore-vectors"


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJub25lIn0.e30.c2ln"])
def test_malformed_token_is_exit_2_before_any_trust_root(
    token: str,
    tmp_path: Path,
    sbom_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    # no --trust-config: the public-good instance, whose TUF update cannot succeed offline (exit 3)
    code = main(["sign", "--sbom", str(sbom_file), "-o", str(tmp_path / "out"), "--identity-token", token])
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.fullmatch(r"nix-attest: error: the identity token is malformed[^\n]*\n", err), err
    assert token not in err
    assert not (tmp_path / "out" / "sbom.sigstore.json").exists()


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_token_from_a_file_or_stdin(
    source: str,
    tmp_path: Path,
    sbom_file: Path,
    stack: SigstoreStack,
    trust_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("SIGSTORE_ID_TOKEN", raising=False)
    token = stack.token()
    if source == "file":
        where = tmp_path / "token"
        where.write_text(token + "\n")
        arg = str(where)
    else:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(f"\n{token}\n".encode())))
        arg = "-"
    code = main(
        ["sign", "--sbom", str(sbom_file), "-o", str(tmp_path / "out"), "--identity-token-file", arg,
         "--trust-config", str(trust_files["config"])]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "signed sbom" in captured.out and token not in captured.out + captured.err
    assert (tmp_path / "out" / "sbom.sigstore.json").is_file()


@pytest.mark.parametrize(
    ("content", "problem"), [(b"", "is empty"), (b" \n", "is empty"), (b"\xff\xfe", "is not text")]
)
def test_bad_token_file(
    content: bytes, problem: str, tmp_path: Path, sbom_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / "token"
    where.write_bytes(content)
    code = main(
        ["sign", "--sbom", str(sbom_file), "-o", str(tmp_path / "o"), "--identity-token-file", str(where)]
    )
    err = capsys.readouterr().err
    assert code == 2 and re.fullmatch(rf"nix-attest: error: the identity token file \S+ {problem}\n", err), (
        err
    )


def test_token_file_and_token_are_exclusive(tmp_path: Path, sbom_file: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sign", "--sbom", str(sbom_file), "-o", str(tmp_path), "--identity-token", "x",
              "--identity-token-file", "-"])  # fmt: skip
    assert exc.value.code == 2


def test_verify_offline_writes_nothing_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["verify", str(VECTORS / "new_bundle.txt.sigstore.json"), "--file", str(VECTORS / "new_bundle.txt"),
         "--cert-identity", "aryadeeptade@gmail.com", "--cert-oidc-issuer", "https://github.com/login/oauth",
         "--offline"]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.err == ""
    assert captured.out.startswith("verified ")
