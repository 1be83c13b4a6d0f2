"""equals / min / max on a count, shared by every check type that counts rows, keys, messages or documents."""
from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class CountBounds(BaseModel):
    """Mix into a Check: validates the bounds at lab load and says them in words."""

    equals: int | None = Field(None, ge=0)
    min: int | None = Field(None, ge=0)
    max: int | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_kind_of_bound(self):
        if self.equals is None and self.min is None and self.max is None:
            raise ValueError("give equals, min or max")
        if self.equals is not None and (self.min is not None or self.max is not None):
            raise ValueError("give equals, or min/max, not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self

    def within(self, value: int) -> bool:
        if self.equals is not None:
            return value == self.equals
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def bounds_text(self, exactly: str = "") -> str:
        """'2' (or 'exactly 2'), 'between 1 and 3', 'at least 1', 'at most 5'."""
        if self.equals is not None:
            return f"{exactly}{self.equals}"
        if self.min is not None and self.max is not None:
            return f"between {self.min} and {self.max}"
        return f"at least {self.min}" if self.min is not None else f"at most {self.max}"
