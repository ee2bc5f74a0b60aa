"""Tampering that keeps the release consistent with itself, and the checks that still catch it.

Each attack of the reliability issue (item 5) on a signed synthetic release: a reply rewritten
with every hash, size and count recomputed (all eleven gates pass), a manifest naming another
version, a ``.tmp-*`` file slipped into the release, a forged signature, a wrong digest. Each
makes ``pixel-platform verify`` fail with the kind of violation named; the untouched release
verifies against its digest and its signature.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import orjson
import pytest

from pixel_platform.cli.main import main
from pixel_platform.core.record import record_content_hash
from pixel_platform.registry.model import Registry
from pixel_platform.release import GateContext, run_gates
from pixel_platform.release.authenticity import normalize_digest, version_in_path
from pixel_platform.release.layout import COMPILED, MANIFEST, SIGNATURE, SPLITS, STATS
from pixel_platform.release.signing import generate_key_pair, load_private_key, sign_manifest
from pixel_platform.release.stats import RECORD_SECTIONS, RecordStats
from pixel_platform.release.view import ReleaseView
from pixel_platform.storage.local import LocalObjectStore
from pixel_platform_tests.release.support import Built, build_synthetic, verify
from pixel_platform_tests.release.synthetic import VERSION
from pixel_platform_tests.release.test_tamper import _load, _save

ADVICE = "Stop taking your medication."


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return generate_key_pair(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def signed(
    tmp_path_factory: pytest.TempPathFactory, registry: Registry, keys: tuple[Path, Path]
) -> Built:
    root = tmp_path_factory.mktemp("signed") / "bucket"
    return build_synthetic(root, registry, signing_key_path=str(keys[0]))


def copy_release(built: Built, tmp_path: Path) -> Path:
    """A writable copy of the release, in a folder named for its version as in the bucket."""
    release = tmp_path / "exports/releases" / built.result.version
    shutil.copytree(built.release_dir, release)
    return release


def rewrite_reply_consistently(release: Path, text: str = ADVICE) -> None:
    """What someone with write access to the bucket can do: change an assistant reply of a
    phase B record and recompute its content hash, the compiled file, stats.json and every
    file's sha256, size and record count in the manifest."""
    records = _load(release)
    record = next(
        r
        for _, items in records["train"]
        for r in items
        if r["metadata"]["phase"] == "B" and len(r["messages"]) >= 2
    )
    reply = next(m for m in record["messages"] if m["role"] == "assistant")
    reply["content"] = text
    record["metadata"]["content_hash"] = record_content_hash(record["messages"], record["metadata"])
    _save(records)
    shards = [p for split in SPLITS for p in sorted((release / "shards" / split).glob("*.jsonl"))]
    (release / COMPILED).write_bytes(b"".join(p.read_bytes() for p in shards))
    recount = RecordStats()
    for split, items in records.items():
        for _, rows in items:
            for row in rows:
                recount.add(row, split)
    stats = orjson.loads((release / STATS).read_bytes())
    stats.update({section: recount.as_dict()[section] for section in RECORD_SECTIONS})
    (release / STATS).write_bytes(orjson.dumps(stats, option=orjson.OPT_INDENT_2) + b"\n")
    manifest = orjson.loads((release / MANIFEST).read_bytes())
    for entry in manifest["files"]:
        data = (release / entry["path"]).read_bytes()
        entry["sha256"] = "sha256:" + hashlib.sha256(data).hexdigest()
        entry["bytes"] = len(data)
        if "records" in entry:
            entry["records"] = data.count(b"\n")
    (release / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))


def test_an_untampered_signed_release_verifies(
    signed: Built, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    release = signed.release_dir
    assert (release / SIGNATURE).is_file()
    listed = {f["path"] for f in signed.result.manifest["files"]}
    assert SIGNATURE not in listed and MANIFEST not in listed
    digest = signed.result.manifest_digest
    assert digest == "sha256:" + hashlib.sha256((release / MANIFEST).read_bytes()).hexdigest()
    code, out = verify(release, capsys, "--manifest-digest", digest, "--public-key", str(keys[1]))
    assert code == 0, out
    assert "PASS authenticity" in out and "11 gates: 11 passed, 0 failed" in out
    assert out.rstrip().endswith("verified (--manifest-digest, signature)")
    # final_dataset/ carries the signature with its copy of the manifest
    final = signed.root / "final_dataset"
    assert (final / SIGNATURE).read_bytes() == (release / SIGNATURE).read_bytes()


def test_without_digest_or_key_verify_says_authenticity_was_not_checked(
    signed: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(signed.release_dir, capsys)
    assert code == 0
    assert "NOT CHECKED authenticity" in out and "PASS authenticity" not in out
    assert "the manifest's authenticity was NOT checked" in out
    assert out.rstrip().splitlines()[-1].startswith("manifest authenticity: NOT CHECKED")


def test_a_consistently_rewritten_reply_passes_every_gate_but_not_authenticity(
    signed: Built, keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = copy_release(signed, tmp_path)
    rewrite_reply_consistently(release)
    manifest = orjson.loads((release / MANIFEST).read_bytes())
    ctx = GateContext.from_manifest(signed.registry, manifest)
    failed = [r.name for r in run_gates(LocalObjectStore(release), "", ctx) if not r.passed]
    assert failed == [], "the rewrite is consistent: the gates alone cannot tell"

    code, out = verify(release, capsys)
    assert code == 0 and "NOT CHECKED" in out  # the attack the issue reports, still visible

    code, out = verify(release, capsys, "--manifest-digest", signed.result.manifest_digest)
    assert code == 1
    assert "FAIL authenticity: manifest_digest_mismatch=1" in out
    assert "manifest authenticity: FAILED (manifest_digest_mismatch)" in out
    code, out = verify(release, capsys, "--public-key", str(keys[1]))
    assert code == 1 and "FAIL authenticity: signature_invalid=1" in out
    assert ADVICE not in out, "no conversation text in what verify prints"

    out_json = tmp_path / "verify.json"
    code, _ = verify(release, capsys, "--public-key", str(keys[1]), "--json", str(out_json))
    document = orjson.loads(out_json.read_bytes())
    assert document["passed"] is False and document["failed"] == []
    assert document["authenticity"]["violations"] == {"signature_invalid": 1}
    assert ADVICE.encode() not in out_json.read_bytes()


@pytest.mark.parametrize(
    ("claimed", "kinds"),
    [
        ("vEVIL", {"manifest_version_invalid", "manifest_version_differs_from_path"}),
        ("v2099-01-01", {"manifest_version_differs_from_path"}),
    ],
)
def test_a_manifest_naming_another_version_fails(
    signed: Built,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    claimed: str,
    kinds: set[str],
) -> None:
    release = copy_release(signed, tmp_path)
    manifest = orjson.loads((release / MANIFEST).read_bytes())
    manifest["version"] = claimed
    (release / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    out_json = tmp_path / "verify.json"
    code, out = verify(release, capsys, "--json", str(out_json))
    assert code == 1, "no digest or key needed: the path names the version"
    assert "11 gates: 11 passed, 0 failed" in out
    assert set(orjson.loads(out_json.read_bytes())["authenticity"]["violations"]) == kinds
    assert f'"path":"{VERSION}"' in out


def test_files_the_manifest_does_not_list_fail_the_hash_gate(
    signed: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = copy_release(signed, tmp_path)
    (release / ".tmp-x").write_bytes(b"{}\n")
    (release / "shards/train/.tmp-part-00099.jsonl").write_bytes(b"{}\n")
    (release / "notes.txt").write_bytes(b"hello\n")
    view = ReleaseView(LocalObjectStore(release), "")
    assert ".tmp-x" not in view.objects, "the store's listing hides its writers' temp files"
    assert ".tmp-x" in view.stored_paths
    code, out = verify(release, capsys, "--gate", "hash")
    assert code == 1
    assert "FAIL hash: file_unlisted=3" in out
    assert '"file":".tmp-x"' in out and '"file":"shards/train/.tmp-part-00099.jsonl"' in out


def test_a_forged_or_missing_signature_fails(
    signed: Built, keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    release = copy_release(signed, tmp_path)
    rewrite_reply_consistently(release)
    attacker = generate_key_pair(tmp_path / "attacker")
    forged = sign_manifest((release / MANIFEST).read_bytes(), load_private_key(attacker[0]))
    (release / SIGNATURE).write_bytes(forged)
    assert verify(release, capsys, "--public-key", str(attacker[1]))[0] == 0, "self-consistent"
    code, out = verify(release, capsys, "--public-key", str(keys[1]))
    assert code == 1 and "FAIL authenticity: signature_key_mismatch=1" in out
    # the attacker names the genuine key: the signature still does not verify with it
    genuine_id = orjson.loads((signed.release_dir / SIGNATURE).read_bytes())["key_id"]
    document = orjson.loads(forged)
    document["key_id"] = genuine_id
    (release / SIGNATURE).write_bytes(orjson.dumps(document))
    code, out = verify(release, capsys, "--public-key", str(keys[1]))
    assert code == 1 and "FAIL authenticity: signature_invalid=1" in out
    (release / SIGNATURE).unlink()
    code, out = verify(release, capsys, "--public-key", str(keys[1]))
    assert code == 1 and "FAIL authenticity: signature_missing=1" in out


def test_a_wrong_or_malformed_digest_fails(
    signed: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(signed.release_dir, capsys, "--manifest-digest", "sha256:" + "0" * 64)
    assert code == 1 and "FAIL authenticity: manifest_digest_mismatch=1" in out
    with pytest.raises(SystemExit) as exc:
        main(["verify", str(signed.release_dir), "--manifest-digest", "sha256:abc"])
    assert exc.value.code == 2
    assert "not a sha256 digest" in capsys.readouterr().err


def test_an_unreadable_public_key_is_an_error_not_a_pass(
    signed: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = verify(signed.release_dir, capsys, "--public-key", str(tmp_path / "none.pub"))
    assert code == 2 and "cannot read the public key" in out


def test_digest_and_version_parsing() -> None:
    hex_digest = "AB" * 32
    assert normalize_digest(hex_digest) == "sha256:" + hex_digest.lower()
    assert normalize_digest(f" sha256:{hex_digest} ") == "sha256:" + hex_digest.lower()
    for bad in ("sha256:", "md5:" + "a" * 32, "sha256:" + "g" * 64):
        with pytest.raises(ValueError, match="not a sha256 digest"):
            normalize_digest(bad)
    assert version_in_path("/data/exports/releases/v2025-12-29-2/") == "v2025-12-29-2"
    assert version_in_path("s3://bucket/exports/releases/v2025-12-29") == "v2025-12-29"
    assert version_in_path("/tmp/release") is None
