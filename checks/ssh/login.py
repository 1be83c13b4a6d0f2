"""SSH checks from the host, on the box's published port: key logins work, password logins are refused."""
from __future__ import annotations

import socket
from pathlib import Path

from pydantic import Field, field_validator

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.errors import CheckError, ServiceUnavailable
from labctl.services import linuxbox

_USER = r"^[a-z_][a-z0-9_.-]*\$?$"
_PASSWORD_METHODS = ("password", "keyboard-interactive")


def _transport(ctx: CheckContext, check: Check):
    """A paramiko Transport past the key exchange. Raises ServiceUnavailable when no SSH server answers."""
    import paramiko

    access = ctx.service(check.service)
    timeout = max(1.0, min(ctx.timeout, check.timeout or ctx.timeout) - 1)
    try:
        sock = socket.create_connection((access.host, access.port), timeout=timeout)
    except OSError as exc:
        raise ServiceUnavailable(f"nothing answers SSH on {access.host}:{access.port}: {exc.strerror or exc}") from exc
    transport = paramiko.Transport(sock)
    transport.banner_timeout = timeout
    try:
        transport.start_client(timeout=timeout)
    except (paramiko.SSHException, OSError, EOFError) as exc:
        transport.close()
        raise ServiceUnavailable(f"the SSH server on {access.host}:{access.port} did not complete a handshake: {exc}") from exc
    return transport


def _offered(transport, user: str) -> list[str]:
    """The login methods the server offers to user (by asking for `none`, as ssh -v shows)."""
    import paramiko

    try:
        transport.auth_none(user)
    except paramiko.BadAuthenticationType as exc:
        return list(exc.allowed_types)
    except paramiko.SSHException:
        return []
    return ["none"]  # logged in with no credentials at all


@register("ssh.key_login", service_kind="linuxbox")
class SshKeyLogin(Check):
    user: str = Field("learner", pattern=_USER)
    key_file: str | None = Field(None, description="A private key, relative to LABCTL_HOME (default: the instance's own key).")

    @field_validator("key_file")
    @classmethod
    def _inside_home(cls, value: str | None) -> str | None:
        if value is not None and (not value or Path(value).is_absolute() or ".." in Path(value).parts
                                  or "\\" in value or "\0" in value):
            raise ValueError(f"{value!r} must be a relative path inside LABCTL_HOME, without '..'")
        return value

    def describe(self) -> str:
        return f"{self.user} can log in over SSH with a key"

    def _keys(self, ctx: CheckContext) -> list[Path]:
        access = ctx.service(self.service)
        if self.key_file is not None:
            if access.home is None:
                raise CheckError("this check runs without a LABCTL_HOME, so key_file cannot be found")
            path = (Path(access.home) / self.key_file).resolve()
            if not path.is_relative_to(Path(access.home).resolve()):
                raise CheckError(f"the key file {self.key_file} points outside LABCTL_HOME")
            if not path.is_file():
                raise CheckError(f"the key file {path} does not exist")
            return [path]
        keys = linuxbox.key_candidates(access)
        if not keys:
            raise CheckError(f"cannot find this box's SSH key under {access.home}/keys/{access.instance}; "
                             "the box only accepts the key it was created with, so "
                             "`labctl destroy` then `labctl start` makes a new box with a new key")
        return keys

    def run(self, ctx: CheckContext) -> Outcome:
        import paramiko

        keys = self._keys(ctx)
        transport = _transport(ctx, self)
        evidence = f"ssh -i <the lab's key> {self.user}@box (from the host)"
        try:
            offered = _offered(transport, self.user)
            if "publickey" not in offered:
                return failed(f"the SSH server does not accept key logins for {self.user} (it offers: "
                              f"{', '.join(offered) or 'nothing'}); set `PubkeyAuthentication yes` in /etc/ssh/sshd_config "
                              "and run `sudo systemctl reload ssh`", expected="publickey", found=offered, evidence=evidence)
            for key in keys:
                try:
                    transport.auth_publickey(self.user, paramiko.Ed25519Key.from_private_key_file(str(key)))
                except paramiko.AuthenticationException:
                    continue
                if transport.is_authenticated():
                    return passed(f"{self.user} logged in with the lab's key", evidence=evidence)
            home = "/home/" + self.user
            return failed(f"the server refused the lab's key for {self.user}; its public key must be in "
                          f"{home}/.ssh/authorized_keys, owned by {self.user}, with mode 600 for the file and 700 for "
                          f"{home}/.ssh (sshd ignores keys others could change)",
                          expected="key accepted", found="refused", evidence=evidence)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise ServiceUnavailable(f"the SSH connection broke during login: {exc}") from exc
        finally:
            transport.close()


@register("ssh.password_refused", service_kind="linuxbox")
class SshPasswordRefused(Check):
    user: str = Field("learner", pattern=_USER)
    password: str | None = Field(None, description="Also try this password; the check fails if it logs in.")

    def describe(self) -> str:
        return f"SSH refuses password logins for {self.user}"

    def run(self, ctx: CheckContext) -> Outcome:
        import paramiko

        transport = _transport(ctx, self)
        evidence = f"ssh -o PreferredAuthentications=password {self.user}@box (from the host)"
        hint = ("set `PasswordAuthentication no` and `KbdInteractiveAuthentication no` in /etc/ssh/sshd_config "
                "(files in /etc/ssh/sshd_config.d/ are read first and win), then `sudo systemctl reload ssh`")
        try:
            offered = _offered(transport, self.user)
            if "none" in offered:
                return failed(f"the SSH server let {self.user} in without any password or key; {hint}",
                              expected="refused", found="logged in", evidence=evidence)
            if self.password is not None and "password" in offered:
                try:
                    transport.auth_password(self.user, self.password)
                    if transport.is_authenticated():
                        return failed(f"logged in as {self.user} with a password; {hint}",
                                      expected="refused", found="logged in", evidence=evidence)
                except paramiko.AuthenticationException:
                    pass
            still = [m for m in offered if m in _PASSWORD_METHODS]
            if still:
                return failed(f"the SSH server still offers password logins to {self.user} "
                              f"(methods: {', '.join(offered)}); {hint}", expected="publickey only", found=offered, evidence=evidence)
            return passed(f"the SSH server refuses password logins (methods: {', '.join(offered) or 'none'})", evidence=evidence)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise ServiceUnavailable(f"the SSH connection broke during login: {exc}") from exc
        finally:
            transport.close()
