from __future__ import annotations

import json

from helpers.report_fixtures import comp, report, sbom, violation

from nix_attest.attest.model import SignedBundle
from nix_attest.github.limits import MAX_COMMENT_CHARS
from nix_attest.policy.model import Violation
from nix_attest.report import md
from nix_attest.report.compare import new_violations
from nix_attest.report.diffjson import dumps_diff
from nix_attest.report.markdown import render_comment, render_summary
from nix_attest.report.mermaid import change_graph
from nix_attest.report.model import Counts, Links, ReportData
from nix_attest.sbom.diff import diff_sboms
from nix_attest.sbom.model import OutputCheck

MARK = "<!-- nix-attest:0123456789abcdef -->"
LINKS = Links(run_url="https://github.com/o/r/actions/runs/1", artifact_name="nix-attest-report")


def base_and_head():  # type: ignore[no-untyped-def]
    root_a, root_b = comp("app", "1.0", ref="/nix/store/r-app"), comp("app", "1.0", ref="/nix/store/r-app")
    lib_a = comp("libgreet", "1.2.0", lic=("MIT",), ref="/nix/store/a-libgreet")
    lib_b = comp("libgreet", "1.3.0", lic=("MIT",), ref="/nix/store/b-libgreet")
    tool_a = comp("build-tool", "0.9", lic=("BSD-3-Clause",), ref="/nix/store/t-tool")
    tool_b = comp("build-tool", "0.9", lic=("MIT",), ref="/nix/store/t-tool")
    color = comp("colorize", "2.0", lic=("ISC",), ref="/nix/store/c-colorize", size=1000)
    base = sbom(root_a, lib_a, tool_a, deps={root_a.ref: (lib_a.ref,), lib_a.ref: (tool_a.ref,)})
    head = sbom(
        root_b,
        lib_b,
        tool_b,
        color,
        deps={root_b.ref: (lib_b.ref, color.ref), lib_b.ref: (tool_b.ref,), tool_b.ref: ()},
    )
    return base, head


def data(**kw: object) -> ReportData:
    base, head = base_and_head()
    defaults: dict[str, object] = dict(
        installable=".#default",
        verdict="fail",
        counts=Counts(runtime=3, buildtime=5, runtime_size=5 * 1024 * 1024),
        policy=report(
            violation("licenses.deny", "error", "gpl-thing", "GPL-3.0-only is denied"),
            violation("licenses.deny", "error", "other", "AGPL is denied"),
            violation("packages.pinned", "warning", "zlib", "not pinned"),
        ),
        reproducibility=(OutputCheck("/nix/store/x-app", True),),
        bundles=(
            SignedBundle(
                "sbom",
                "https://cyclonedx.org/bom",
                "out/sbom.sigstore.json",
                (),
                rekor_url="https://search.sigstore.dev/?logIndex=5",
                attestation_url="https://github.com/o/r/attestations/9",
            ),
        ),
        diff=diff_sboms(base, head),
        diff_head=head,
        diff_base_label="main",
        new_violations=(violation("licenses.deny", "error", "gpl-thing", "GPL-3.0-only is denied"),),
        links=LINKS,
    )
    defaults.update(kw)
    return ReportData(**defaults)  # type: ignore[arg-type]


def test_comment_content() -> None:
    body = render_comment(data(), MARK)
    assert body.startswith(MARK + "\n## ❌ nix-attest: **fail** · `.#default`")
    assert "2 errors, 1 warning · fail-on: `error`" in body
    assert (
        "runtime components: **3** · buildtime components: **5** · runtime closure size: **5.0 MiB**" in body
    )
    # grouped severity -> rule -> component, errors first
    policy = body[body.index("### Policy (3 violations)") :]
    assert policy.index("- **error** · `licenses.deny`") < policy.index(
        "  - `gpl-thing 1`: GPL-3.0-only is denied"
    )
    assert policy.index("`other 1`") < policy.index("- **warning** · `packages.pinned`")
    assert "✅ all 1 output(s) rebuilt bit-for-bit" in body
    assert "[Rekor entry](https://search.sigstore.dev/?logIndex=5)" in body
    assert "[GitHub attestation](https://github.com/o/r/attestations/9)" in body
    assert "### Supply-chain diff against `main`" in body
    assert "| `libgreet` | 1.2.0 | 1.3.0 |" in body
    assert "| `colorize` | 2.0 | ISC |" in body
    assert "| `build-tool` | BSD-3-Clause | MIT |" in body
    assert "**New policy violations (1)**" in body
    assert "```mermaid" in body
    assert "[workflow run and job summary](https://github.com/o/r/actions/runs/1)" in body


def test_pass_without_optional_stages() -> None:
    body = render_comment(ReportData(installable=".#x", verdict="pass"), MARK)
    assert "## ✅ nix-attest: **pass**" in body and "policy not checked" in body
    assert "runtime components: unknown" in body
    assert "### Reproducibility\n\nnot checked" in body
    assert "Supply-chain diff" not in body and "Signatures" not in body


def test_problems_and_error_verdict() -> None:
    body = render_comment(ReportData(installable=".#x", verdict="error", problems=("build failed: boom",)))
    assert "## ⚠️ nix-attest: **error**" in body and "> ⚠️ build failed: boom" in body


def test_first_n_then_details_then_count() -> None:
    many = tuple(violation("licenses.deny", "error", f"pkg{i:04d}", "x" * 50) for i in range(800))
    body = render_comment(data(policy=report(*many)), MARK)
    assert len(body) <= MAX_COMMENT_CHARS
    assert body.count("  - `pkg") == 525  # 25 shown + 500 folded
    assert "<details><summary>500 more violations</summary>" in body
    assert "_… 275 more not shown: see the [job summary](https://github.com/o/r/actions/runs/1)" in body
    assert "artifact `nix-attest-report`" in body


def test_oversized_body_truncated_under_limit() -> None:
    many = tuple(
        violation("licenses.deny", "error", f"pkg{i:05d}" + "n" * 150, "m" * 290) for i in range(3000)
    )
    body = render_comment(data(policy=report(*many)), MARK)
    assert len(body) <= MAX_COMMENT_CHARS
    assert body.startswith(MARK) and "more not shown" in body
    summary = render_summary(data(policy=report(*many)))
    assert len(summary.encode()) <= 1024 * 1024
    assert summary.count("  - `pkg") > body.count("  - `pkg")  # the summary keeps more


def test_hard_cut_when_even_smallest_is_too_big() -> None:
    body = render_comment(data(problems=("p" * 400,) * 400), MARK)
    assert len(body) <= MAX_COMMENT_CHARS and body.endswith("_(truncated)_\n")


def test_untrusted_text_is_escaped() -> None:
    evil = Violation("r", "error", "<img src=x onerror=alert(1)> [click](http://evil) <!-- -->", None)
    body = render_comment(data(policy=report(evil), new_violations=()), MARK)
    assert "<img" not in body and "](http://evil)" not in body and body.count("<!--") == 1
    assert md.code("a`b|c") == "`a'b\\|c`"


def test_reproducibility_failure() -> None:
    checks = (OutputCheck("/nix/store/a-x", False, "hash mismatch"), OutputCheck("/nix/store/b-y", True))
    body = render_comment(data(reproducibility=checks))
    assert "❌ 1 of 2 output(s) differ on rebuild" in body and "- `/nix/store/a-x`: hash mismatch" in body


def test_new_violations_vs_base() -> None:
    base = report(violation("a", "error", "x"), violation("b", "warning", "y"))
    head = report(
        violation("a", "error", "x", "reworded"), violation("b", "warning", "z"), violation("c", "error", "x")
    )
    assert [(v.rule, v.component.name if v.component else "") for v in new_violations(base, head)] == [
        ("b", "z"),
        ("c", "x"),
    ]


def test_mermaid_graph() -> None:
    base, head = base_and_head()
    graph = change_graph(head, diff_sboms(base, head))
    assert graph is not None
    lines = graph.splitlines()
    assert lines[:3] == ["```mermaid", "graph LR", '  n0["app 1.0"]']
    assert '  n1["libgreet 1.2.0 → 1.3.0"]:::changed' in lines
    assert '  n2["+ colorize 2.0"]:::added' in lines
    assert "  n0 --> n1" in lines and "  n0 --> n2" in lines
    assert change_graph(head, diff_sboms(base, head), max_nodes=2) is None
    assert change_graph(head, diff_sboms(head, head)) is None


def test_summary_and_size_delta() -> None:
    summary = render_summary(data())
    assert "**Runtime closure size**: 300 B → 1.3 KiB (+1000 B)" in summary


def test_diff_json() -> None:
    base, head = base_and_head()
    doc = json.loads(dumps_diff(diff_sboms(base, head)))
    assert [c["name"] for c in doc["added"]] == ["colorize"]
    assert doc["changed"] == [{"name": "libgreet", "old": ["1.2.0"], "new": ["1.3.0"]}]
    assert doc["license_changes"][0]["old"] == ["BSD-3-Clause"]
    assert doc["runtime_closure_size"]["delta"] == 1000
