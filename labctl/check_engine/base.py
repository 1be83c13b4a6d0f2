"""The base of every check type: its fields are its parameters, validated when the lab loads."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from labctl.check_engine.result import Outcome

if TYPE_CHECKING:
    from labctl.check_engine.context import CheckContext


class Check(BaseModel):
    """A check type. Subclasses declare parameters as fields and implement run()."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    type_name: ClassVar[str] = ""
    # The kind of service this check talks to ("postgres"), or None for checks that need none.
    service_kind: ClassVar[str | None] = None
    # Parameters that name files inside the learner's workspace (validated to stay inside it).
    workspace_paths: ClassVar[tuple[str, ...]] = ()
    # Parameters that name files inside the lab folder (validated to stay inside it).
    lab_paths: ClassVar[tuple[str, ...]] = ()
    # Parameters that name one of the lab's settings (validated to be declared in lab.yaml).
    setting_fields: ClassVar[tuple[str, ...]] = ()
    # Parameters that list seconds settings the check waits out (validated to be declared, of kind seconds).
    seconds_setting_fields: ClassVar[tuple[str, ...]] = ()
    # The check changes what the learner is working on (reboots the box, kills their server): it runs only when
    # every check before it in its task passed and the tasks it needs passed in the same run (runner.py).
    disruptive: ClassVar[bool] = False

    service: str | None = Field(None, description="Which of the lab's services to check; defaults to the only one of its kind.")
    timeout: float | None = Field(None, gt=0, le=300, description="Seconds before the check is reported as an error.")

    def describe(self) -> str:
        """A short learner-facing description of what is checked."""
        return self.type_name

    def needs_seconds(self) -> float:
        """The least time the check must be given (e.g. a program's own time limit, plus a margin)."""
        return 0.0

    def run(self, ctx: "CheckContext") -> Outcome:  # pragma: no cover - abstract
        raise NotImplementedError

    def lab_file(self, ctx: "CheckContext", relative: str) -> Path:
        return ctx.lab_path / relative

    @classmethod
    def parameters_schema(cls) -> dict[str, Any]:
        return cls.model_json_schema(by_alias=True)
