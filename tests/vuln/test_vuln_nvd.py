"""NVD matching on real records: feed reading, the compact index, configurations, vendors, versions."""

from __future__ import annotations

import copy
import gzip
import random
import struct
from pathlib import Path

import pytest
from helpers.nvd_data import DATA, real_cves, write_feed

from nix_attest.errors import InputError
from nix_attest.nix.versions import _compare_release, compare_release, compare_versions
from nix_attest.vuln.cpe import Cpe, parse_cpe
from nix_attest.vuln.index import NvdIndex, encode, merge, write_index
from nix_attest.vuln.model import CpeId, Target
from nix_attest.vuln.nvdfeed import compact, read_feed
from nix_attest.vuln.nvdmatch import _in_range, _subject
from nix_attest.vuln.scan import scan
from nix_attest.vuln.sources.nixmeta import NixpkgsMetaSource, advisory_id
from nix_attest.vuln.sources.nvd import NvdSource


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> NvdIndex:
    d = tmp_path_factory.mktemp("nvd")
    feed = write_feed(d / "nvdcve-2.0-test.json.gz", list(real_cves().values()))
    write_index(d / "index.nxi", read_feed(feed), {"built": "test"})
    return NvdIndex(d / "index.nxi")


def target(
    name: str, version: str, cpe: str | None = None, source: str = "heuristic", **kw: object
) -> Target:
    text = cpe or f"cpe:2.3:a:*:{name}:*:*:*:*:*:*:*:*"
    return Target(
        ref=f"/nix/store/{name}-{version}", name=name, version=version, cpes=(CpeId(text, source),), **kw
    )  # type: ignore[arg-type]


def ids(index: NvdIndex, *targets: Target, system: str = "x86_64-linux") -> dict[str, set[str]]:
    found: dict[str, set[str]] = {t.name: set() for t in targets}
    for f in NvdSource(index, system).findings(targets):
        found[f.name].add(f.id)
    return found


# --- versions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "nix", "release"),
    [
        ("153.0", "153.0.0", -1, 0),  # the vulnix false positive: Nix orders these, advisories do not
        ("1.32", "1.32.0", -1, 0),
        ("1.2.10", "1.2.9", 1, 1),
        ("1.0pre1", "1.0", -1, -1),
        ("2.3a", "2.3.1", -1, -1),
        ("0.9.8zg", "0.9.8zf", 1, 1),
        ("1.0.1", "1.0", 1, 1),
    ],
)
def test_release_order_is_nix_order_with_trailing_zeros_equal(a: str, b: str, nix: int, release: int) -> None:
    assert compare_versions(a, b) == nix
    assert compare_release(a, b) == release
    assert compare_release(b, a) == -release


def test_numeric_fast_path_agrees_with_the_general_rule() -> None:
    rng = random.Random(10)

    def version() -> str:
        return ".".join(str(rng.choice([0, 0, 1, 2, 9, 10, 11])) for _ in range(rng.randrange(1, 5)))

    for _ in range(5000):
        a, b = version(), version()
        assert compare_release(a, b) == _compare_release(a, b), (a, b)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1." + "9" * 5000, "1.10", 1),  # past Python's 4,300-digit int() limit: compared as digit strings
        ("1." + "0" * 4999 + "7", "1.7", 0),  # leading zeros do not count
        ("1" * 5000, "1" * 4999 + "2", -1),
        ("2" * 6000 + ".1", "2" * 6000 + ".0.9", 1),
        ("1.\u00b2", "1.2", -1),  # a superscript two is a letter to Nix (only ASCII digits make numbers),
        ("1.\u0663", "1.2", -1),  # so is an Arabic-Indic three: letters sort before numbers
    ],
)
def test_versions_from_a_hostile_sbom_compare_without_crashing(a: str, b: str, expected: int) -> None:
    assert compare_release(a, b) == expected
    assert compare_release(b, a) == -expected
    assert compare_versions(a, b) == expected


def test_cpe_parsing_unescapes_and_rejects_garbage() -> None:
    cpe = parse_cpe(r"cpe:2.3:a:smoothiecharts:smoothie_charts:*:*:*:*:*:node.js:*:*")
    assert cpe is not None and cpe.product == "smoothie_charts" and cpe.target_sw == "node.js"
    escaped = parse_cpe(r"cpe:2.3:a:gnu:gcc\+\+:1.0\:1:*:*:*:*:*:*:*")
    assert escaped is not None and escaped.product == "gcc++" and escaped.version == "1.0:1"
    assert parse_cpe("cpe:/a:openssl:openssl:1.0") is None  # CPE 2.2 URI
    assert parse_cpe("cpe:2.3:x:openssl:openssl:1:*:*:*:*:*:*:*") is None  # bad part
    assert parse_cpe("cpe:2.3:a:openssl") is None


@pytest.mark.parametrize(
    "value",
    ["1.0", "1.0?", "c++", "a:b", "1.0\\", "x\\:y", "1.0\\\\", "\\", "2.0:rc1", "50%", "a b", "*x", "x*"],
)
def test_a_cpe_value_round_trips_through_the_formatted_string(value: str) -> None:
    """Whatever a field holds (a colon, a trailing backslash, a wildcard character), the formatted
    string escapes it and parsing gives it back: nothing shifts into the next field."""
    cpe = Cpe("a", "ven:dor", value.lower(), value.lower(), value.lower())
    assert parse_cpe(cpe.formatted()) == cpe


def test_cpe_escapes_as_nvd_writes_them() -> None:
    real = parse_cpe(r"cpe:2.3:a:beyondtrust:privilege_management_for_unix\/linux:*:*:*:*:basic:*:*:*")
    assert real is not None and real.product == "privilege_management_for_unix/linux"
    field_ends_in_backslash = parse_cpe(r"cpe:2.3:a:v:p:1.0\\:beta:*:*:*:*:*:*")
    assert field_ends_in_backslash == Cpe("a", "v", "p", "1.0\\", "beta")


# --- feeds and the index -----------------------------------------------------------------------------


def test_vulnix_modified_feed_reads_into_compact_records() -> None:
    records = {r["id"]: r for r in read_feed(DATA / "nvd/vulnix/nvdcve-2.0-modified.json.gz")}
    assert set(records) == {"CVE-2010-3765", "CVE-2010-0748", "CVE-2010-3962"}
    transmission = records["CVE-2010-0748"]
    op, _, nodes = transmission["c"][0]
    assert op == "AND" and len(nodes) == 2
    assert nodes[1][2][0][:4] == [0, "o", "linux", "linux_kernel"]  # vulnerable: false platform node
    firefox = records["CVE-2010-3765"]
    assert firefox["r"][0][0] == "CVSSv31"  # v3.1 preferred over v2


def test_truncated_or_foreign_feed_is_one_line_input_error(tmp_path: Path) -> None:
    good = (DATA / "nvd/osv.dev/CVE-2024-3094.json").read_text()
    cut = tmp_path / "cut.json"
    cut.write_text(good[: len(good) // 2])
    with pytest.raises(InputError, match=r"cut\.json"):
        list(read_feed(cut))
    other = tmp_path / "other.json"
    other.write_text('{"format": "OSV", "vulnerabilities": []}')
    with pytest.raises(InputError, match=r"not an NVD CVE 2\.0 JSON feed"):
        list(read_feed(other))
    bad_gz = tmp_path / "x.json.gz"
    bad_gz.write_bytes(gzip.compress(b"{")[:10])
    with pytest.raises(InputError, match=r"x\.json\.gz"):
        list(read_feed(bad_gz))


def test_index_round_trip_and_lookup(index: NvdIndex, tmp_path: Path) -> None:
    assert len(index) == len(real_cves())
    numbers = index.candidates("xz")
    assert [index.record(n)["id"] for n in numbers] == ["CVE-2024-3094"]
    assert index.candidates("linux_kernel") == ()  # only ever vulnerable: false -> never a candidate
    damaged = tmp_path / "damaged.nxi"
    damaged.write_bytes(index.path.read_bytes()[:200])
    with pytest.raises(InputError, match="damaged"):
        NvdIndex(damaged)


def _sections(data: bytes) -> list[bytes]:
    """The index's four length-prefixed sections and the record blob (see vuln/index.py)."""
    pos, out = 8, []
    for _ in range(4):
        (size,) = struct.unpack_from("<Q", data, pos)
        out.append(data[pos + 8 : pos + 8 + size])
        pos += 8 + size
    return [*out, data[pos:]]


def _assemble(head: bytes, table: bytes, products: bytes, offsets: bytes, blob: bytes) -> bytes:
    parts = [b"NXAVIDX2"]
    for section in (head, table, products, offsets):
        parts += [struct.pack("<Q", len(section)), section]
    return b"".join([*parts, blob])


_XZ_MATCH = b'[1,"a","tukaani","xz","*","*","*",null,null,null,null]'
_HOSTILE_ENTRIES = {
    "matches that are a string": b'"abcdefghijk"',
    "matches that are an object": b'{"a":1}',
    "a match that is too short": b'[[1,"a","tukaani","xz"]]',
    "a match that is a string": b'["cpe:2.3:a:tukaani:xz"]',
    "a match with a number for a version bound": b'[[1,"a","tukaani","xz","*","*","*",5,null,null,null]]',
}
_XZ_CONFIG = b'[["OR",false,[["OR",false,[%s]]]]]' % _XZ_MATCH
_HOSTILE_RECORDS = {
    "a record whose configurations are a string": b'{"id":"CVE-2024-3094","c":"xz"}',
    "a record whose nodes are not lists": b'{"id":"CVE-2024-3094","c":[["OR",false,[1,2]]]}',
    "a record whose matches are short": b'{"id":"CVE-2024-3094","c":[["OR",false,[["OR",false,[[1,"a"]]]]]]}',
    "a record whose ratings are numbers": b'{"id":"CVE-2024-3094","c":%s,"r":[7]}' % _XZ_CONFIG,
    "a record whose rating vector is an object": b'{"id":"CVE-2024-3094","c":%s,"r":[%s]}'
    % (_XZ_CONFIG, b'["cvssV3_1","high",7.5,{"a":1},null]'),
}


def _damage(data: bytes, how: str, xz: int) -> bytes:
    head, table, products, offsets, blob = _sections(data)
    if how == "records cut short":
        return data[:-200]
    if how == "a negative count":
        return _assemble(head.replace(b'"count": ', b'"count": -'), table, products, offsets, blob)
    if how == "no offsets and a count of -1":
        return _assemble(b'{"format": 2, "count": -1}', table, products, b"", blob)
    if how == "a header that is a list":
        return _assemble(b"[2]", table, products, offsets, blob)
    if how == "a product table that is a list":
        return _assemble(head, b"[]", products, offsets, blob)
    if how == "a product entry past the end":
        return _assemble(head, b'{"xz":[0,99999999]}', products, offsets, blob)
    if how == "a product entry naming a missing record":
        entry = b'[[99999,[[1,"a","tukaani","xz","*","*","*",null,null,null,null]]]]'
        return _assemble(head, b'{"xz":[0,%d]}' % len(entry), entry, offsets, blob)
    if how == "a product entry of the wrong shape":
        return _assemble(head, b'{"xz":"here"}', products, offsets, blob)
    if how in _HOSTILE_ENTRIES:  # a real record number, its matches replaced
        entry = b"[[%d,%s]]" % (xz, _HOSTILE_ENTRIES[how])
        return _assemble(head, b'{"xz":[0,%d]}' % len(entry), entry, offsets, blob)
    if how in _HOSTILE_RECORDS:  # xz's record replaced by one of the same length (offsets stay true)
        start, end = struct.unpack_from("<QQ", offsets, 8 * xz)
        fake = _HOSTILE_RECORDS[how]
        assert len(fake) <= end - start
        return _assemble(head, table, products, offsets, blob[:start] + fake.ljust(end - start) + blob[end:])
    if how == "product entries that are not JSON":
        return _assemble(head, table, b"x" * len(products), offsets, blob)
    if how == "records that are not JSON":
        return _assemble(head, table, products, offsets, b"x" * len(blob))
    if how == "offsets out of order":  # the end of xz's record (number xz) before its start
        end = 8 * (xz + 1)
        return _assemble(head, table, products, offsets[:end] + bytes(8) + offsets[end + 8 :], blob)
    if how == "an offset past the end":
        end = 8 * (xz + 1)
        return _assemble(head, table, products, offsets[:end] + b"\xff" * 8 + offsets[end + 8 :], blob)
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "records cut short",
        "a negative count",
        "no offsets and a count of -1",
        "a header that is a list",
        "a product table that is a list",
        "a product entry past the end",
        "a product entry of the wrong shape",
        "a product entry naming a missing record",
        "product entries that are not JSON",
        "records that are not JSON",
        "offsets out of order",
        "an offset past the end",
        *_HOSTILE_ENTRIES,
        *_HOSTILE_RECORDS,
    ],
)
def test_a_damaged_index_is_one_line_when_opened_or_read(index: NvdIndex, tmp_path: Path, how: str) -> None:
    """An index restored from a cache can be anything: opening it, or looking a product up and reading
    its records, is the index's InputError (exit 2, 'run vulndb update'), never a crash or garbage."""
    damaged = tmp_path / "damaged.nxi"
    damaged.write_bytes(_damage(index.path.read_bytes(), how, index.candidates("xz")[0]))
    target_ = target("xz", "5.6.1", "cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*", "meta")
    message = r"damaged\.nxi is damaged or from another version.*vulndb update"
    with pytest.raises(InputError, match=message), NvdIndex(damaged) as idx:
        NvdSource(idx, "x86_64-linux").findings([target_])


def test_a_replaced_record_of_the_right_shape_is_read(index: NvdIndex, tmp_path: Path) -> None:
    """The control for the hostile records above: the same replacement with a well-formed record is
    read and matched (what they break is the shape, not the offsets)."""
    _HOSTILE_RECORDS["well-formed"] = b'{"id":"CVE-2024-3094","c":%s,"r":[%s]}' % (
        _XZ_CONFIG,
        b'["cvssV3_1","high",7.5,"CVSS:3.1/AV:N",null]',
    )
    try:
        data = _damage(index.path.read_bytes(), "well-formed", index.candidates("xz")[0])
    finally:
        del _HOSTILE_RECORDS["well-formed"]
    (tmp_path / "ok.nxi").write_bytes(data)
    xz = target("xz", "5.6.1", "cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*", "meta")
    with NvdIndex(tmp_path / "ok.nxi") as idx:
        [f] = NvdSource(idx, "x86_64-linux").findings([xz])
    assert (f.id, f.severity) == ("CVE-2024-3094", "high")


def test_rejected_cve_in_a_later_feed_is_removed(tmp_path: Path) -> None:
    cve = real_cves()["CVE-2024-3094"]
    rejected = {**cve, "vulnStatus": "Rejected", "lastModified": "2099-01-01T00:00:00.000"}
    first = write_feed(tmp_path / "a.json", [cve])
    second = write_feed(tmp_path / "b.json", [rejected])
    write_index(tmp_path / "i.nxi", [*read_feed(first), *read_feed(second)], {})
    with NvdIndex(tmp_path / "i.nxi") as idx:
        assert len(idx) == 0


# --- matching ----------------------------------------------------------------------------------------


def test_meta_cpe_match_with_severity(index: NvdIndex) -> None:
    xz = target("xz", "5.6.1", "cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*", "meta")
    [f] = NvdSource(index, "x86_64-linux").findings([xz])
    assert (f.id, f.method, f.confidence) == ("CVE-2024-3094", "cpe:meta", "high")
    assert f.severity == "critical" and f.advisory.ratings[0].method == "CVSSv31"
    assert f.advisory.url == "https://nvd.nist.gov/vuln/detail/CVE-2024-3094"
    assert "tukaani:xz:5.6.1" in f.evidence
    assert (
        ids(index, target("xz", "5.6.2", "cpe:2.3:a:tukaani:xz:5.6.2:*:*:*:*:*:*:*", "meta"))["xz"] == set()
    )


def test_and_configuration_with_linux_platform_node_matches_on_linux_only(index: NvdIndex) -> None:
    transmission = target("transmission", "1.91")
    assert ids(index, transmission)["transmission"] == {"CVE-2010-0748"}
    assert ids(index, transmission, system="aarch64-darwin")["transmission"] == set()
    assert ids(index, target("transmission", "1.92"))["transmission"] == set()


def test_configuration_anded_with_hardware_does_not_match(index: NvdIndex) -> None:
    # CVE-2020-13595: esp-idf 4.0.0 - 4.2 AND the esp32 chip (vulnerable: false)
    assert ids(index, target("esp-idf", "4.1"))["esp-idf"] == set()


def test_trailing_zero_range_end_is_not_a_false_positive(index: NvdIndex) -> None:
    # CVE-2018-1000500: busybox < 1.32.0; Nix orders 1.32 < 1.32.0, vulnix reported it
    assert ids(index, target("busybox", "1.32"))["busybox"] == set()
    assert ids(index, target("busybox", "1.31.1"))["busybox"] == {"CVE-2018-1000500"}


def test_vendor_is_respected_when_known(index: NvdIndex) -> None:
    known = target("apparmor", "2.11", "cpe:2.3:a:canonical:apparmor:2.11:*:*:*:*:*:*:*", "meta")
    assert ids(index, known)["apparmor"] == {"CVE-2016-1585"}  # not apparmor:apparmor, not ubuntu:apparmor
    # the pname heuristic knows no vendor: both, each low confidence
    guessed = NvdSource(index, "x86_64-linux").findings([target("apparmor", "2.11")])
    assert {f.id for f in guessed} == {"CVE-2016-1585", "CVE-2017-6507"}  # 1424: ubuntu's <= 2.8.94
    assert {f.confidence for f in guessed} == {"low"}


WIDGET = "cpe:2.3:a:acme:widget:*:*:*:*:*:*:*:*"
LINUX = "cpe:2.3:o:linux:linux_kernel:-:*:*:*:*:*:*:*"


def _m(criteria: str, vulnerable: bool = True, **bounds: str) -> dict[str, object]:
    return {"vulnerable": vulnerable, "criteria": criteria, **bounds}


def _node(
    *matches: dict[str, object], operator: str | None = "OR", negate: bool = False
) -> dict[str, object]:
    node: dict[str, object] = {"negate": negate, "cpeMatch": list(matches)}
    if operator:
        node["operator"] = operator
    return node


@pytest.mark.parametrize(
    ("configurations", "linux", "darwin"),
    [
        # AND inside one node: every match must hold; gadget is another component of the SBOM
        (
            [
                {
                    "nodes": [
                        _node(_m(WIDGET), _m("cpe:2.3:a:acme:gadget:*:*:*:*:*:*:*:*", False), operator="AND")
                    ]
                }
            ],
            True,
            True,
        ),
        (
            [
                {
                    "nodes": [
                        _node(_m(WIDGET), _m("cpe:2.3:a:acme:absent:*:*:*:*:*:*:*:*", False), operator="AND")
                    ]
                }
            ],
            False,
            False,
        ),
        # a negated node: NOT on Linux
        (
            [{"operator": "AND", "nodes": [_node(_m(WIDGET)), _node(_m(LINUX, False), negate=True)]}],
            False,
            True,
        ),
        # a negated node alone: the widget's match is negated, nothing is vulnerable
        ([{"nodes": [_node(_m(WIDGET), negate=True)]}], False, False),
        # a negated configuration states nothing vulnerable
        ([{"negate": True, "nodes": [_node(_m(WIDGET))]}], False, False),
        # the configuration that holds names the widget only as not vulnerable: no finding, although
        # another (not holding: an esp32 chip) names it vulnerable
        (
            [
                {
                    "operator": "AND",
                    "nodes": [
                        _node(_m(WIDGET)),
                        _node(_m("cpe:2.3:h:espressif:esp32:-:*:*:*:*:*:*:*", False)),
                    ],
                },
                {"operator": "AND", "nodes": [_node(_m(WIDGET, False)), _node(_m(LINUX, False))]},
            ],
            False,
            False,
        ),
        # no operators given: OR (a configuration and a node alike)
        (
            [
                {
                    "nodes": [
                        _node(_m(WIDGET, versionEndExcluding="3.0"), operator=None),
                        _node(_m(LINUX, False)),
                    ]
                }
            ],
            True,
            True,
        ),
        ([{"nodes": [_node(_m(WIDGET, versionEndExcluding="2.0"), operator=None)]}], False, False),
    ],
)
def test_configuration_trees(configurations: list[dict[str, object]], linux: bool, darwin: bool) -> None:
    """Configurations shaped as NVD 2.0 writes them (operators, negate, vulnerable flags), for a widget
    2.0 with a known vendor, built with a gadget, on Linux and on Darwin."""
    cve = {"id": "CVE-2099-0001", "lastModified": "2099-01-01T00:00:00.000", "configurations": configurations}
    idx = NvdIndex(Path("<test>"), encode(merge([compact(cve)]), {}))
    widget = target("widget", "2.0", "cpe:2.3:a:acme:widget:2.0:*:*:*:*:*:*:*", "meta")
    gadget = target("gadget", "1.0", "cpe:2.3:a:acme:gadget:1.0:*:*:*:*:*:*:*", "meta")
    for system, expected in (("x86_64-linux", linux), ("aarch64-darwin", darwin)):
        found = ids(idx, widget, gadget, system=system)["widget"]
        assert found == ({"CVE-2099-0001"} if expected else set()), system


def test_vulnerable_false_entry_never_matches(index: NvdIndex) -> None:
    linux = target("linux", "5.10", "cpe:2.3:o:linux:linux_kernel:5.10:*:*:*:*:*:*:*", "curated")
    found = ids(index, linux, target("transmission", "1.91"))
    assert found == {"linux": set(), "transmission": {"CVE-2010-0748"}}


def test_exact_versions_and_ranges(index: NvdIndex) -> None:
    def openssl(v: str) -> Target:
        return target("openssl", v, f"cpe:2.3:a:openssl:openssl:{v}:*:*:*:*:*:*:*", "curated")

    assert ids(index, openssl("1.0.0"))["openssl"] == {"CVE-2015-1789"}
    assert ids(index, openssl("0.9.8ze"))["openssl"] == {"CVE-2015-1789"}
    assert ids(index, openssl("0.9.8zg"))["openssl"] == set()
    php = "cpe:2.3:a:php:php:{}:*:*:*:*:*:*:*"
    assert ids(index, target("php", "7.3.7", php.format("7.3.7"), "curated"))["php"] == {"CVE-2019-11041"}
    assert ids(index, target("php", "7.3.8", php.format("7.3.8"), "curated"))["php"] == set()


OPENSSH = "cpe:2.3:a:openbsd:openssh:{}:*:*:*:*:*:*:*"


@pytest.mark.parametrize(
    ("cpe", "source", "version", "expected"),
    [
        # nixpkgs' cpeParts can put a release suffix in the update field (openssh 9.3p1 -> 9.3:p1)
        ("cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*", "meta", "9.3p1", {"CVE-2023-38408"}),  # 9.3:p1
        ("cpe:2.3:a:openbsd:openssh:9.3:p2:*:*:*:*:*:*", "meta", "9.3p2", set()),  # the fix
        ("cpe:2.3:a:openbsd:openssh:9.3:-:*:*:*:*:*:*", "meta", "9.3", {"CVE-2023-38408"}),  # 9.3:-
        ("cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*", "meta", "9.2p1", {"CVE-2023-38408"}),  # < 9.3
        # NVD compares a range with the version field: 8.7:p1 is "through 8.7" (CVE-2016-20012)
        (
            "cpe:2.3:a:openbsd:openssh:8.7:p1:*:*:*:*:*:*",
            "meta",
            "8.7p1",
            {"CVE-2016-20012", "CVE-2023-38408"},
        ),
        ("cpe:2.3:a:openbsd:openssh:8.8:p1:*:*:*:*:*:*", "meta", "8.8p1", {"CVE-2023-38408"}),
        # a numeric update is nixpkgs' cpePatchVersionInUpdateWithVendor (8.7:1 is 8.7.1): past 8.7
        ("cpe:2.3:a:openbsd:openssh:8.7:1:*:*:*:*:*:*", "meta", "8.7.1", {"CVE-2023-38408"}),
        # the version in one field, as the pname heuristic and most SBOMs write it: Nix order
        (OPENSSH.format("9.3p1"), "heuristic", "9.3p1", {"CVE-2023-38408"}),  # equals 9.3:p1
        (OPENSSH.format("9.3p2"), "heuristic", "9.3p2", set()),
        (OPENSSH.format("8.7"), "heuristic", "8.7", {"CVE-2016-20012", "CVE-2023-38408"}),
    ],
)
def test_cpe_update_fields_match_as_nvd_matches_them(
    index: NvdIndex, cpe: str, source: str, version: str, expected: set[str]
) -> None:
    assert ids(index, target("openssh", version, cpe, source)) == {"openssh": expected}


@pytest.mark.parametrize(("update", "expected"), [("p1", True), ("p2", False), ("p3", False)])
def test_a_range_bound_with_a_suffix_compares_version_and_update(update: str, expected: bool) -> None:
    """'OpenSSH before 9.3p2' written as one range (the real CVE-2023-38408 with its criteria so
    rewritten): 9.3:p1 is inside, 9.3:p2 and later are not, which comparing only the version field
    (9.3 < 9.3p2) would get wrong."""
    cve = copy.deepcopy(real_cves()["CVE-2023-38408"])
    cve["configurations"][0]["nodes"][0]["cpeMatch"] = [
        {"vulnerable": True, "criteria": OPENSSH.format("*"), "versionEndExcluding": "9.3p2"}
    ]
    idx = NvdIndex(Path("<test>"), encode(merge([compact(cve)]), {}))
    component = target(
        "openssh", f"9.3{update}", f"cpe:2.3:a:openbsd:openssh:9.3:{update}:*:*:*:*:*:*", "meta"
    )
    assert ids(idx, component) == {"openssh": {"CVE-2023-38408"} if expected else set()}


def _range_reference(version: str, update: str, bounds: tuple[str | None, ...]) -> bool:
    """The range rule as docs/vulnerabilities.md states it, written out independently: a numeric bound
    faces the version field when the update is a release suffix (8.7:p1 is "through 8.7"); any other
    bound faces version and update together (9.3:p1 is 9.3-p1)."""
    whole = version if update in ("*", "-") else f"{version}-{update}"
    suffix = update not in ("*", "-") and not update.isdigit()
    start_incl, start_excl, end_incl, end_excl = bounds

    def cmp(bound: str) -> int:
        numeric = all(part.isdigit() for part in bound.split("."))
        return compare_release(version if suffix and numeric else whole, bound)

    return not (
        (start_incl and cmp(start_incl) < 0)
        or (start_excl and cmp(start_excl) <= 0)
        or (end_incl and cmp(end_incl) > 0)
        or (end_excl and cmp(end_excl) >= 0)
    )


def test_the_range_fast_path_agrees_with_the_general_rule() -> None:
    """_in_range compares a version without a suffix update against every bound directly (the common
    case, kept fast); it must agree with the general rule on every version, update and bound, equal
    ones and suffixed ones included."""
    versions = ["8.7", "9.3", "9.3p1", "9.3p2", "1.0.0", "153.0", "2.3a", "0.9.8zf"]
    updates = ["*", "-", "p1", "p2", "1", "rc1"]
    bounds: list[str | None] = [None, "8.7", "9.3", "9.3p2", "9.3.0", "153.0.0", "1.0", "2.3", "0.9.8zg"]
    shapes = [(b, None, None, None) for b in bounds] + [(None, b, None, None) for b in bounds]
    shapes += [(None, None, b, None) for b in bounds] + [(None, None, None, b) for b in bounds]
    shapes += [(a, None, None, b) for a in bounds for b in bounds] + [
        (None, a, b, None) for a in bounds for b in bounds
    ]
    wrong, fast, outcomes = [], 0, set()
    for version in versions:
        for update in updates:
            s = _subject(Cpe("a", "openbsd", "openssh", version, update), None, "meta")
            assert s is not None
            fast += s.base is None
            for shape in shapes:
                m = [1, "a", "openbsd", "openssh", "*", "*", "*", *shape]
                got, expected = _in_range(m, s), _range_reference(version, update, shape)
                outcomes.add(got)
                if got != expected:
                    wrong.append((version, update, shape, got))
    assert wrong == []
    assert outcomes == {True, False} and 0 < fast < len(versions) * len(updates)  # both paths ran


def test_an_exact_criterion_with_any_update_covers_every_update() -> None:
    """``9.3:*`` in a criterion is 9.3 with any update (CPE name matching: ANY matches every value),
    so it covers 9.3:p1; ``9.3:-`` (NA) does not. The real CVE-2023-38408 with its two exact
    criteria rewritten that way."""
    cve = copy.deepcopy(real_cves()["CVE-2023-38408"])
    matches = cve["configurations"][0]["nodes"][0]["cpeMatch"]
    matches[1]["criteria"] = OPENSSH.format("9.3")  # 9.3:*
    del matches[2]
    idx = NvdIndex(Path("<test>"), encode(merge([compact(cve)]), {}))
    p1 = target("openssh", "9.3p1", "cpe:2.3:a:openbsd:openssh:9.3:p1:*:*:*:*:*:*", "meta")
    assert ids(idx, p1) == {"openssh": {"CVE-2023-38408"}}
    matches[1]["criteria"] = "cpe:2.3:a:openbsd:openssh:9.3:-:*:*:*:*:*:*"
    idx = NvdIndex(Path("<test>"), encode(merge([compact(cve)]), {}))
    assert ids(idx, p1) == {"openssh": set()}


def test_ecosystem_specific_entries_need_an_explicit_cpe(index: NvdIndex) -> None:
    # CVE-2022-25929 is for the node.js package smoothie_charts (target_sw node.js)
    assert ids(index, target("smoothie_charts", "1.35.0"))["smoothie_charts"] == set()
    meta = target(
        "smoothie_charts", "1.35.0", "cpe:2.3:a:smoothiecharts:smoothie_charts:1.35.0:*:*:*:*:*:*:*", "meta"
    )
    assert ids(index, meta)["smoothie_charts"] == {"CVE-2022-25929"}


def test_patch_named_after_the_cve_marks_it_resolved_with_pedigree(index: NvdIndex) -> None:
    samba = target(
        "samba",
        "4.16.2",
        "cpe:2.3:a:samba:samba:4.16.2:*:*:*:*:*:*:*",
        "curated",
        resolved=(("CVE-2022-32746", "CVE-2022-32746.patch"),),
    )
    result = scan([samba], [NvdSource(index, "x86_64-linux")])
    [f] = result.findings
    assert f.id == "CVE-2022-32746" and f.resolved and not f.active
    assert f.analysis is not None and "CVE-2022-32746.patch" in (f.analysis.detail or "")
    assert result.active == ()


def test_a_patch_resolves_only_for_its_own_component(index: NvdIndex) -> None:
    """A hostile package in the closure that names a patch after xz's CVE does not mark xz's
    finding resolved: patches are the pedigree of the derivation that applies them."""
    xz = target("xz", "5.6.1", "cpe:2.3:a:tukaani:xz:5.6.1:*:*:*:*:*:*:*", "meta")
    evil = target("evil", "1.0", resolved=(("CVE-2024-3094", "CVE-2024-3094.patch"),))
    [f] = scan([evil, xz], [NvdSource(index, "x86_64-linux")]).findings
    assert (f.name, f.id, f.active) == ("xz", "CVE-2024-3094", True)


def test_known_vulnerabilities_ids_and_merge_with_nvd(index: NvdIndex) -> None:
    assert advisory_id("openjpeg", "CVE-2022-1122: segfault in opj2_decompress") == "CVE-2022-1122"
    assert advisory_id("x", "GHSA-M5PQ-GVJ9-9VR8 regex") == "GHSA-m5pq-gvj9-9vr8"
    free = advisory_id("oldlib", "Unmaintained upstream, use newlib")
    assert free.startswith("NIXPKGS-oldlib-") and free == advisory_id(
        "oldlib", "Unmaintained  upstream, use newlib"
    )
    assert free != advisory_id("other", "Unmaintained upstream, use newlib")
    openjpeg = target("openjpeg", "2.4.0", known_vulnerabilities=("CVE-2022-1122: segfault",))
    result = scan(
        [openjpeg], [NvdSource(index, "x86_64-linux"), NixpkgsMetaSource()], known_exploited={"CVE-2022-1122"}
    )
    [f] = result.findings
    assert f.id == "CVE-2022-1122"
    assert f.method == "nixpkgs-meta"  # the better identification wins ...
    assert f.advisory.ratings  # ... with NVD's ratings
    assert f.advisory.known_exploited
