"""The Docker backend: the only place that imports the docker SDK."""
from labctl.runtime.docker.runtime import DockerRuntime

__all__ = ["DockerRuntime"]
