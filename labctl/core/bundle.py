"""Workshop bundles: many images in one tar file with a manifest of ids and sha256 checksums.

Layout: manifest.json, then images/NN.tar (each one `docker save` archive). Loading verifies
every checksum before loading anything, so a truncated or corrupt bundle changes nothing.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from labctl.core.errors import LabctlError

if TYPE_CHECKING:
    from labctl.runtime.base import ImageStore

FORMAT = 1
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BundleEntry:
    ref: str
    image_id: str
    file: str
    sha256: str
    size: int


def save(store: "ImageStore", refs: list[str], target: Path, progress: Callable[[str], None] = lambda _: None) -> list[BundleEntry]:
    """Write a bundle of the given (present) images. Raises LabctlError; never leaves half a file."""
    entries: list[BundleEntry] = []
    target = target.expanduser()
    partial = target.with_name(target.name + ".partial")
    try:
        with tarfile.open(partial, "w") as archive:
            for number, ref in enumerate(refs):
                info = store.inspect(ref)
                if info is None:
                    raise LabctlError(f"{ref} is not on this machine", "Run `labctl images pull` or `labctl images build` first.")
                progress(f"exporting {ref}")
                digest = hashlib.sha256()
                size = 0
                with tempfile.TemporaryFile() as spool:
                    for chunk in store.export(ref):
                        spool.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                    spool.seek(0)
                    name = f"images/{number:02d}.tar"
                    member = tarfile.TarInfo(name)
                    member.size = size
                    member.mtime = int(dt.datetime.now().timestamp())
                    archive.addfile(member, spool)
                entries.append(BundleEntry(ref, info.id, name, digest.hexdigest(), size))
            manifest = json.dumps({
                "format": FORMAT,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "images": [e.__dict__ for e in entries],
            }, indent=2).encode()
            member = tarfile.TarInfo("manifest.json")
            member.size = len(manifest)
            archive.addfile(member, io.BytesIO(manifest))
        os.replace(partial, target)
    except OSError as exc:
        raise LabctlError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return entries


def _corrupt(path: Path, why: str) -> LabctlError:
    return LabctlError(f"{path} is not a valid labctl bundle: {why}; nothing was loaded",
                       "Copy the bundle again (check its size against the original) and retry.")


def read_manifest(path: Path) -> list[BundleEntry]:
    """The bundle's manifest, after verifying every image's size and checksum. Raises LabctlError."""
    try:
        with tarfile.open(path, "r:") as archive:
            try:
                raw = archive.extractfile("manifest.json")
            except KeyError:
                raise _corrupt(path, "it has no manifest (truncated?)") from None
            data = json.loads(raw.read()) if raw else None
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise _corrupt(path, "its manifest is not one labctl can read")
            entries = [BundleEntry(**e) for e in data["images"]]
            for entry in entries:
                try:
                    member = archive.getmember(entry.file)
                except KeyError:
                    raise _corrupt(path, f"{entry.file} ({entry.ref}) is missing") from None
                if member.size != entry.size:
                    raise _corrupt(path, f"{entry.ref} has {member.size} bytes; the manifest says {entry.size}")
                digest = hashlib.sha256()
                stream = archive.extractfile(member)
                while chunk := stream.read(CHUNK):
                    digest.update(chunk)
                if digest.hexdigest() != entry.sha256:
                    raise _corrupt(path, f"{entry.ref}'s checksum does not match the manifest")
            return entries
    except FileNotFoundError:
        raise LabctlError(f"{path} does not exist") from None
    except (tarfile.TarError, EOFError, OSError, ValueError, TypeError, KeyError) as exc:
        raise _corrupt(path, f"it is truncated or damaged ({type(exc).__name__}: {exc})") from None


def load(store: "ImageStore", path: Path, progress: Callable[[str], None] = lambda _: None) -> list[BundleEntry]:
    """Verify the whole bundle, then load its images and check each arrived with its recorded id."""
    entries = read_manifest(path)
    with tarfile.open(path, "r:") as archive:
        for entry in entries:
            progress(f"loading {entry.ref}")
            store.load(archive.extractfile(entry.file))
            info = store.inspect(entry.ref)
            if info is None or info.id != entry.image_id:
                store.tag(entry.image_id, entry.ref)
                info = store.inspect(entry.ref)
            if info is None or info.id != entry.image_id:
                raise LabctlError(f"{entry.ref} did not load as expected", "Try `labctl images load` again.")
    return entries
