"""One run of the learner's API tests against one fresh deployment of the practice Todo API: deploy, run the
command (on the host in the workspace, or in the submission's sandbox when graded), remove the deployment."""
from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass

from labctl.check_engine.context import CheckContext
from labctl.check_engine.programs import ProgramRun
from labctl.core.access import ServiceAccess
from labctl.core.errors import CheckError
from labctl.services.practice_api import deploy, remove
from labctl.services.practice_http import base_url

from ..program.run import run_program


@dataclass(frozen=True)
class Run:
    variant: str
    url: str
    result: ProgramRun
    kept: bool = False  # the deployment stays up (it expires 15 minutes after its last request)

    @property
    def passed(self) -> bool:
        return self.result.exit_code == 0

    @property
    def failed(self) -> bool:
        """Failed on its own: a non-zero exit, not a run stopped at the time limit."""
        return self.result.exit_code not in (0, None)


def service_root(ctx: CheckContext, access: ServiceAccess) -> str:
    """The service's address as the command sees it: loopback on the host, the service's name on the lab's
    network inside a sandbox (where 127.0.0.1 is the sandbox itself)."""
    if ctx.program_runner is not None:
        if access.main_port is None:
            raise CheckError(f"service {access.name} publishes no port")
        return f"http://{access.name}:{access.main_port}"
    return base_url(access)


def with_url(command: str, placeholder: str, url: str) -> str:
    """The learner's command with the deployment's URL where the placeholder is (quoted for the shell)."""
    return command.replace(placeholder, shlex.quote(url)) if placeholder else command


def run_once(ctx: CheckContext, access: ServiceAccess, variant: str, command: str, placeholder: str,
             time_limit: float, *, keep_if_failed: bool = False) -> Run:
    """Deploy `variant` at a fresh prefix, run the command against it, remove the deployment (unless the run
    did not pass and `keep_if_failed`: the learner may then try their tests against it by hand).
    Raises OSError when the command cannot be started; LabctlError when the service does not answer."""
    prefix = deploy(access, variant)
    kept = False
    try:
        url = service_root(ctx, access) + prefix
        made = {"API_URL": url}
        full = with_url(command, placeholder, url)
        if ctx.program_runner is not None:  # contained: the sandbox gives $LABCTL_PYTHON its own python3
            result = ctx.program_runner(full, b"", time_limit=time_limit, env=ctx.env, pass_env=made)
        else:
            if ctx.workspace is None or not ctx.workspace.is_dir():
                raise CheckError("this lab instance has no workspace folder; run `labctl start` again to make it")
            env = {**ctx.env, **made, "LABCTL_WORKSPACE": str(ctx.workspace)}
            env.setdefault("LABCTL_PYTHON", sys.executable)
            # The tests talk to loopback: never through a proxy the environment names.
            no_proxy = ",".join(filter(None, [os.environ.get("NO_PROXY", ""), "127.0.0.1", "localhost", "::1"]))
            env["NO_PROXY"] = env["no_proxy"] = no_proxy
            result = run_program(full, ctx.workspace, b"", time_limit=time_limit, env=env)
        kept = keep_if_failed and result.exit_code != 0
        return Run(variant, url, result, kept)
    finally:
        if not kept:
            remove(access, prefix)
