"""labctl's errors: one base that carries an exit code and a hint for what to do next."""
from __future__ import annotations

from labctl.core.exit_codes import ExitCode


class LabctlError(Exception):
    """An error the user can act on. `hint` says what to do next."""

    exit_code: ExitCode = ExitCode.ERROR

    def __init__(self, message: str, hint: str | None = None, *, exit_code: ExitCode | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class LabFileError(LabctlError):
    """A lab or compose file is malformed. The message names the file and the field."""

    def __init__(self, path, field: str | None, problem: str, hint: str | None = None):
        where = f"{path}" + (f": {field}" if field else "")
        super().__init__(f"{where}: {problem}", hint or "Fix the file and run the command again.")
        self.path = path
        self.field = field
        self.problem = problem


class UnknownLabError(LabctlError):
    def __init__(self, lab_id: str, known: list[str]):
        close = [k for k in known if lab_id.split("-")[0] in k] or known
        super().__init__(
            f"there is no lab called {lab_id!r}",
            "Run `labctl list` to see the labs. Did you mean: " + ", ".join(close[:5]) + "?",
        )


class EngineUnavailableError(LabctlError):
    exit_code = ExitCode.ENGINE_UNREACHABLE


class ServiceNotReadyError(LabctlError):
    exit_code = ExitCode.SERVICE_NOT_READY


class InstanceNotFoundError(LabctlError):
    pass


class ImageUnavailableError(LabctlError):
    """A service's image is not here, cannot be pulled, and has no local build (e.g. MongoDB offline)."""


class CheckError(LabctlError):
    """A check could not run (not the learner's fault). The message is shown as is.

    Raised by check families and service clients; the check runner turns it into an error result, and
    anything else that meets one (grading a submission file, a self-test step) reports it like any error.
    """


class Unverifiable(CheckError):
    """The learner's work keeps a check from seeing the truth (it redefines something the check relies on,
    such as PostgreSQL's `=`): the check fails, and the message says what to undo."""


class ServiceUnavailable(CheckError):
    """The service did not answer: it is down, paused or unreachable."""

    exit_code = ExitCode.SERVICE_NOT_READY
