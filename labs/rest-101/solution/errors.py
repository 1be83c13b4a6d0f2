"""The one error a handler raises to answer a status and {"error": message}."""
from __future__ import annotations


class HttpError(Exception):
    def __init__(self, status: int, message: str, allow: str | None = None):
        super().__init__(message)
        self.status, self.message, self.allow = status, message, allow
