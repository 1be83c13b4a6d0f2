"""Which images the labs need, and whether each is here, pulled or built."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from labctl.core import labels
from labctl.core.model import Lab, ServiceSpec

if TYPE_CHECKING:
    from labctl.runtime.base import ImageInfo, ImageStore


@dataclass(frozen=True)
class ImageNeed:
    catalog: str
    labs: tuple[str, ...]
    service: ServiceSpec
    official: str | None  # the pinned upstream image, if any
    local: str | None  # the local build's tag, if the service has a build

    @property
    def refs(self) -> list[str]:
        return [r for r in (self.official, self.local) if r]


@dataclass(frozen=True)
class ImageState:
    need: ImageNeed
    present: str | None  # the ref that is here and would be used
    origin: str  # "pulled" | "built" | "missing"
    image_id: str | None = None
    size: int = 0


def needs(labs: list[Lab]) -> list[ImageNeed]:
    """One entry per catalog service used by the labs, with the labs that use it."""
    by_catalog: dict[str, tuple[ServiceSpec, list[str]]] = {}
    for lab in labs:
        for spec in lab.services.values():
            entry = by_catalog.setdefault(spec.catalog, (spec, []))
            if lab.id not in entry[1]:
                entry[1].append(lab.id)
    return [
        ImageNeed(catalog, tuple(lab_ids), spec,
                  spec.image if spec.image_policy != "build-only" else None, None)
        for catalog, (spec, lab_ids) in sorted(by_catalog.items())
    ]


def state(store: "ImageStore", need: ImageNeed, image_source: str = "auto") -> ImageState:
    """What is present, in the order labctl would use it (see core/image_policy.resolve)."""
    local = store.local_tag(need.service) if need.service.image_policy != "pull-only" else None
    need = ImageNeed(need.catalog, need.labs, need.service, need.official, local)
    order = [(need.official, "pulled"), (local, "built")]
    if image_source == "build" or need.service.image_policy == "build-only":
        order = [(local, "built")]
    elif image_source == "pull":
        order = [(need.official, "pulled")]
    for ref, origin in order:
        if ref:
            info = store.inspect(ref)
            if info:
                return ImageState(need, ref, origin, info.id, info.size)
    return ImageState(need, None, "missing")


def stale_images(store: "ImageStore", current_tags: set[str]) -> list["ImageInfo"]:
    """labctl's images that no current local build uses (all of them when current_tags is empty)."""
    # An instance's kept file system is its learner's work, not an outdated recipe: destroy and reset remove it.
    return [image for image in store.list()
            if not current_tags.intersection(image.tags) and labels.KEPT_FILESYSTEM not in image.labels]
