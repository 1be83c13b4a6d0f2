"""Images on a Docker engine: inspect, pull, build, export and import for workshop bundles, prune."""
from __future__ import annotations

from typing import IO, Iterator

from labctl.core import labels
from labctl.core.errors import LabctlError
from labctl.core.events import Emit
from labctl.core.model import ServiceSpec
from labctl.runtime.docker import images
from labctl.runtime.docker.client import translated


class DockerImageStore:
    def __init__(self, client_factory):
        self._client_factory = client_factory

    @property
    def client(self):
        return self._client_factory()

    def inspect(self, ref: str) -> dict | None:
        """{id, size, labels, tags} of a local image, or None."""
        import docker.errors

        try:
            with translated(f"inspecting {ref}"):
                data = self.client.api.inspect_image(ref)
        except LabctlError as exc:
            if isinstance(exc.__cause__, docker.errors.NotFound):
                return None
            raise
        return {"id": data["Id"], "size": data.get("Size", 0), "labels": (data.get("Config") or {}).get("Labels") or {},
                "tags": data.get("RepoTags") or []}

    def local_tag(self, service: ServiceSpec) -> str | None:
        return images.local_tag(service) if service.build_context else None

    def pull(self, ref: str, service: str, emit: Emit) -> str | None:
        """None when pulled, else why not."""
        return images.pull(self.client, ref, service, emit)

    def build(self, service: ServiceSpec, emit: Emit) -> str:
        with translated(f"building {service.catalog}"):
            return images.build(self.client, service, emit)

    def export(self, ref: str) -> Iterator[bytes]:
        """The image as `docker save` writes it."""
        with translated(f"exporting {ref}"):
            yield from self.client.api.get_image(ref, chunk_size=1024 * 1024)

    def load(self, stream: IO[bytes]) -> list[str]:
        """Load a `docker save` archive; returns what the engine reported loading."""
        with translated("loading an image"):
            result = self.client.api.load_image(stream)
        loaded = []
        for line in result or []:
            if "error" in line:
                raise LabctlError(f"the engine refused an image: {line['error']}")
            if "stream" in line and line["stream"].strip():
                loaded.append(line["stream"].strip())
        return loaded

    def tag(self, image_id: str, ref: str) -> None:
        repository, _, tag = ref.rpartition(":")
        with translated(f"tagging {ref}"):
            self.client.api.tag(image_id, repository, tag)

    def labctl_images(self) -> list[dict]:
        """Images labctl built (they carry its label)."""
        with translated("listing labctl's images"):
            found = self.client.api.images(filters={"label": f"{labels.MANAGED}=true"})
        return [{"id": i["Id"], "tags": i.get("RepoTags") or [], "size": i.get("Size", 0)} for i in found]

    def remove(self, image_id: str) -> None:
        with translated(f"removing image {image_id[:19]}"):
            self.client.api.remove_image(image_id)
