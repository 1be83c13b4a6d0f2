"""auth.token_not_stored: a token the learner's app hands out (a refresh token, a password-reset token, an API
key) is kept in its database only as a digest, never as given: whoever reads the table must not be able to use
what they read.

The steps run as an http.sequence's (fresh values, cookies, saves); the tokens they saved are then searched
for in every table of the lab's PostgreSQL, the way auth.password_storage searches for a password: any text,
JSON, array or bytea column that holds one, in any letter case, fails the check.
"""
from __future__ import annotations

import time

from pydantic import Field, ValidationError, field_validator, model_validator

from labctl.check_engine.context import CheckContext
from labctl.check_engine.registry import register
from labctl.check_engine.result import Outcome, failed, passed
from labctl.core.loopback import check_loopback

from ..http.sequence import Step
from ..jwt.login import Prelude
from ..sql.common import POSTGRES
from ..sql.flow import SqlCheck, catalog
from . import stored

MIN_TOKEN = 16  # characters: a shorter value would be found by chance in unrelated rows
WRITE_WAIT = 2.0  # seconds: an app may write after it answers


@register("auth.token_not_stored", service_kind="postgres")
class TokenNotStored(SqlCheck):
    dialect = POSTGRES
    setting_fields = ("setting",)

    url: str | None = Field(None, description="The learner's app: a base URL on 127.0.0.1, localhost or ::1.")
    setting: str | None = Field(None, description="A lab setting holding the base URL of the learner's app "
                                                  "(e.g. app_url).")
    let: dict[str, str] = Field(default_factory=dict, description="{name: template}: fresh values for each run, as "
                                "in http.sequence.")
    steps: list[Step] = Field(min_length=1, max_length=8, description="Requests made in order (as http.sequence's), "
                              "which save the tokens to look for, e.g. a login that saves refresh_token.")
    tokens: list[str] = Field(min_length=1, max_length=5, description="Names the steps saved: the tokens that must "
                              "not be found in the database as they were given.")
    called: str = Field("token", min_length=1, description="What the tokens are, for messages (e.g. 'refresh token').")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return check_loopback(value) if value is not None else None

    @model_validator(mode="after")
    def _valid(self) -> "TokenNotStored":
        if (self.url is None) == (self.setting is None):
            raise ValueError("give url or setting (where the learner's app listens), one of them")
        saved = {name for step in self.steps for name in (*step.save, *step.save_header)}
        for name in self.tokens:
            if name not in saved:
                raise ValueError(f"tokens: no step saves {name!r} (the steps save: {', '.join(sorted(saved)) or 'nothing'})")
        self._prelude(None)  # the steps and let are validated as an http.sequence's
        return self

    def _prelude(self, timeout: float | None) -> Prelude:
        try:
            return Prelude.model_validate({"url": self.url, "setting": self.setting, "timeout": timeout,
                                           "let": self.let, "steps": self.steps})
        except ValidationError as exc:
            raise ValueError("; ".join(str(e.get("msg", "")).removeprefix("Value error, ") for e in exc.errors())) from None

    def describe(self) -> str:
        return f"the app keeps each {self.called} only as a digest, never as it was given"

    def run(self, ctx: CheckContext) -> Outcome:
        prelude = self._prelude(self.timeout or ctx.timeout)
        outcome = prelude.run(ctx)
        if not outcome.passed:
            return outcome
        curls = prelude.curls
        tokens: dict[str, str] = {}
        for name in self.tokens:
            value = prelude.saved.get(name)
            if not isinstance(value, str) or len(value) < MIN_TOKEN:
                return failed(f"the {self.called} your app gave ({name}) is not a string of at least {MIN_TOKEN} "
                              f"characters: {value!r}", evidence="; ".join(curls))
            tokens[name] = value
        query = catalog(ctx, self)
        deadline = time.monotonic() + WRITE_WAIT
        while True:
            tables = stored.tables(query)
            # A bytea column reads as hex in the scan: its bytes, as hex, are a needle too.
            needles = [n for t in tokens.values() for n in (t.lower(), t.encode().hex())]
            rows = stored.scan(query, tables, [], needles)
            if rows or time.monotonic() >= deadline:
                break
            time.sleep(0.25)
        for found in rows:
            for cell in found.row.cells:
                for name, token in tokens.items():
                    if token.lower() in cell.text.lower():
                        shown = stored.psql_line(stored.contains_sql(found.table, cell.column, token))
                        return failed(
                            f"the {self.called} your app gave is stored as it is, in {cell.where}: whoever reads that "
                            f"table can use it. Store a digest of it instead (SHA-256, in hex), and find a "
                            f"{self.called} by the digest of the one a client sends. See it: {shown}",
                            expected=f"no {self.called} as given in any table", found=cell.where,
                            evidence="; ".join([*curls, shown]))
        return passed(f"no table holds the {self.called} as it was given ({len(tables)} tables searched)",
                      evidence="; ".join(curls))
