"""linux.package: a Debian package as dpkg records it (/var/lib/dpkg/status, read from outside the box)."""
from __future__ import annotations

from pydantic import Field

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError

from .common import path_facts

STATUS = "/var/lib/dpkg/status"


def dpkg_status(text: str) -> dict[str, dict[str, str]]:
    """Package name -> its fields (Status, Version, ...), from dpkg's status file (one stanza per package;
    a package of two architectures keeps its last stanza)."""
    found: dict[str, dict[str, str]] = {}
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        last = None
        for line in stanza.splitlines():
            if line[:1] in (" ", "\t") and last:
                fields[last] += "\n" + line.strip()
            elif ":" in line:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        if "Package" in fields:
            found[fields["Package"]] = fields
    return found


@register("linux.package", service_kind="linuxbox")
class LinuxPackage(Check):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9+.-]+$", description="The Debian package, e.g. jq.")
    installed: bool = True

    def describe(self) -> str:
        return f"package {self.name}" + (" is installed" if self.installed else " is not installed")

    def run(self, ctx: CheckContext) -> Outcome:
        facts = path_facts(ctx, self, STATUS, content=True)
        if facts is None or facts.content is None:
            raise CheckError(f"cannot read {STATUS}, where dpkg records what is installed")
        fields = dpkg_status(facts.content.decode(errors="replace")).get(self.name)
        status = fields.get("Status", "") if fields else ""
        evidence = f"{STATUS} (read through the container engine): {status or 'no entry'}"
        state = status.split()[-1] if status else "not-installed"
        if not self.installed:
            if state in ("not-installed", "config-files"):
                return passed(f"{self.name} is not installed", evidence=evidence)
            return failed(f"{self.name} is installed ({state}); remove it with `sudo apt remove {self.name}`",
                          expected="not installed", found=state, evidence=evidence)
        if state == "installed":
            return passed(f"{self.name} {fields.get('Version', '')} is installed".replace("  ", " "), evidence=evidence)
        if state in ("not-installed", "config-files"):
            return failed(f"{self.name} is not installed: `sudo apt update`, then `sudo apt install {self.name}`",
                          expected="installed", found=state, evidence=evidence)
        return failed(f"{self.name} is only half installed (dpkg says {state}): a package needs the packages it "
                      f"depends on, which `dpkg -i` does not fetch; `sudo apt install -f` (or `sudo apt install "
                      f"{self.name}`) installs them and finishes the job", expected="installed", found=state,
                      evidence=evidence)
