"""The labels on every container, network and volume labctl creates; nothing without them is touched."""

PREFIX = "io.labctl"
MANAGED = f"{PREFIX}.managed"
INSTANCE = f"{PREFIX}.instance"
LAB = f"{PREFIX}.lab"
SERVICE = f"{PREFIX}.service"
CATALOG = f"{PREFIX}.catalog"
WORKSPACE = f"{PREFIX}.workspace"
VERSION = f"{PREFIX}.version"
EPHEMERAL = f"{PREFIX}.ephemeral"
IMAGE_FOR = f"{PREFIX}.image-for"
CONTEXT_HASH = f"{PREFIX}.context-hash"
# On an image committed from an instance's container (x-labctl keep-filesystem): the service whose file
# system it keeps. It also carries the instance's labels, so destroy and reset remove it with the instance.
KEPT_FILESYSTEM = f"{PREFIX}.kept-filesystem"
# On that image, and so on the container made from it: the recipe's image the file system started from.
KEPT_FROM = f"{PREFIX}.kept-from"
# Which labctl home made it (core/owner.py). Several people may share one engine (a workshop server):
# each sees, stops and removes only their own instances. Resources made before this label existed have
# none, and count as everyone's.
OWNER = f"{PREFIX}.owner"
# The process an ephemeral instance belongs to (core/holder.py): gone, and its instance is a leftover.
HOLDER = f"{PREFIX}.holder"


def base(instance: str, lab: str) -> dict[str, str]:
    from labctl import __version__

    return {MANAGED: "true", INSTANCE: instance, LAB: lab, VERSION: __version__}
