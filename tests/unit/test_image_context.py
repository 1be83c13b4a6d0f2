"""A local image's tag covers exactly what its build uses: .dockerignore honoured, byte-code and editor
files never, so every install of one version computes the same tags."""
from __future__ import annotations

import io
import tarfile

import pytest

from labctl.core.catalog import catalog_names, load_service
from labctl.core.errors import LabctlError
from labctl.core.image_policy import context_archive, context_files, context_hash, local_tag


@pytest.fixture
def context(tmp_path):
    folder = tmp_path / "ctx"
    (folder / "units").mkdir(parents=True)
    (folder / "Dockerfile").write_text("FROM debian:bookworm-slim\nCOPY . /opt/app/\n")
    (folder / "app.py").write_text("print('hi')\n")
    (folder / "units" / "a.service").write_text("[Service]\n")
    return folder


def test_what_an_install_or_an_editor_leaves_behind_changes_nothing(context):
    before = context_hash(context)
    (context / "__pycache__").mkdir()
    (context / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\x00bytecode")
    (context / "units" / "__pycache__").mkdir()
    (context / "units" / "__pycache__" / "x.pyc").write_bytes(b"\x00")
    (context / "app.py~").write_text("old")
    (context / ".app.py.swp").write_text("vim")
    assert context_files(context) == ["Dockerfile", "app.py", "units/a.service"]
    assert context_hash(context) == before


def test_any_change_to_what_the_build_uses_is_a_new_tag(context):
    before = context_hash(context)
    (context / "app.py").write_text("print('hello')\n")
    assert context_hash(context) != before
    changed = context_hash(context)
    (context / "units" / "b.service").write_text("[Service]\n")
    assert context_hash(context) != changed
    assert context_hash(context, "Dockerfile.other") != context_hash(context)


def test_dockerignore_is_honoured_with_exceptions(context):
    (context / "notes.md").write_text("x")
    (context / "units" / "keep.md").write_text("x")
    (context / ".dockerignore").write_text("# docs stay out\n**/*.md\n!units/keep.md\n")
    assert context_files(context) == ["Dockerfile", "app.py", "units/a.service", "units/keep.md"]


def test_the_archive_holds_exactly_those_files_the_same_bytes_every_time(context):
    (context / "__pycache__").mkdir()
    (context / "__pycache__" / "x.pyc").write_bytes(b"\x00")
    (context / "app.py").chmod(0o755)
    first = context_archive(context)
    (context / "app.py").chmod(0o600)
    assert context_archive(context) == first  # modes, owners and times never differ between installs
    with tarfile.open(fileobj=io.BytesIO(first)) as archive:
        files = {m.name: m for m in archive.getmembers() if m.isfile()}
        assert sorted(files) == ["Dockerfile", "app.py", "units/a.service"]
        assert {m.mode for m in files.values()} == {0o644} and {m.mtime for m in files.values()} == {0}
        assert archive.getmember("units").isdir()


def test_a_symlink_in_a_context_is_refused(context, tmp_path):
    (context / "secret").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(LabctlError, match="holds a symlink"):
        context_files(context)


def test_every_catalog_build_context_is_clean():
    for name in catalog_names():
        spec = load_service(name)
        if spec.build_context is not None:
            assert local_tag(spec) and "Dockerfile" in context_files(spec.build_context)


def test_a_replacement_changes_what_is_sent_but_never_the_tag(context):
    (context / "build-ca.pem").write_text("# placeholder\n")
    tag_before = context_hash(context)
    sent = context_archive(context, {"build-ca.pem": b"CERTS\n", "absent.pem": b"never added"})
    with tarfile.open(fileobj=io.BytesIO(sent)) as archive:
        assert archive.extractfile("build-ca.pem").read() == b"CERTS\n"
        assert "absent.pem" not in archive.getnames()
    assert context_hash(context) == tag_before


def test_the_host_certificates_are_its_pem_certificates_only(tmp_path):
    from labctl.core.build_trust import host_certificates

    cert = "-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----"
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(f"# Corporate proxy\n{cert}\r\n-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n"
                      f"{cert}\n")
    assert host_certificates({"LABCTL_BUILD_CA": str(bundle)}) == (cert + "\n").encode() * 2
    assert host_certificates({"LABCTL_BUILD_CA": str(tmp_path / "missing"), "SSL_CERT_FILE": str(bundle)}).count(
        b"BEGIN CERTIFICATE") == 2
