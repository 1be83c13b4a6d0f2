"""The exit codes labctl documents (README, `labctl --help`)."""
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ERROR = 1
    USAGE = 2  # click's own code for bad usage
    CHECKS_FAILED = 3  # checks ran and some did not pass
    ENGINE_UNREACHABLE = 4
    SERVICE_NOT_READY = 5
    INTERRUPTED = 130
