"""The linux.* checks: files, users, processes, ports, commands and services inside the lab's Linux box."""
from . import answers, cron, files, kills, packages, reboot, system  # noqa: F401  (importing a module registers its check types)
