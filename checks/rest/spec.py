"""An OpenAPI 3.0 or 3.1 document as the rest.openapi check reads it: its structure validated by
openapi-spec-validator, the operation a request lands on (its path template and method), and whether a
live answer is one the document describes (its status listed, its body fitting the schema given for it,
validated by openapi-schema-validator, which knows each version's schema dialect: nullable, date formats)."""
from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from jsonschema.exceptions import best_match

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
HOME = "urn:labctl:openapi-document"  # the document's own name, for $ref to resolve inside it
SUPPORTED = ("3.0", "3.1")


def _tools(version: str) -> tuple[Any, Any, Any, Any]:
    """(document validator, schema validator, format checker, $ref dialect) of a version; imported when a
    rest.openapi check runs, not whenever the check families load (the validators take a third of a second)."""
    from openapi_schema_validator import OAS30ReadValidator, OAS31Validator, oas30_format_checker, oas31_format_checker
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from referencing.jsonschema import DRAFT4, DRAFT202012

    if version == "3.0":
        return OpenAPIV30SpecValidator, OAS30ReadValidator, oas30_format_checker, DRAFT4
    return OpenAPIV31SpecValidator, OAS31Validator, oas31_format_checker, DRAFT202012


class SpecProblem(Exception):
    """The document is missing, not OpenAPI 3.0/3.1, or not valid: the message says what and what to do."""


def template_key(template: str) -> str:
    """'/todos/{todoId}' -> '/todos/{}': two templates naming their parameters differently are one route."""
    return re.sub(r"\{[^}/]*\}", "{}", template.rstrip("/") or "/")


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _pointer(parts: list[str]) -> str:
    return "#/" + "/".join(_escape(p) for p in parts) if parts else "#"


class Document:
    """A valid OpenAPI 3.0 or 3.1 document. Raises SpecProblem from load()."""

    def __init__(self, data: dict, version: str) -> None:
        self.data, self.version = data, version
        from referencing import Registry, Resource

        _, self.validator_class, self.formats, dialect = _tools(version)
        self.registry = Registry().with_resource(HOME, Resource(contents=data, specification=dialect))
        self.base = self._base_path()

    @classmethod
    def load(cls, data: Any) -> Document:
        if not isinstance(data, dict):
            raise SpecProblem("is not a JSON object; an OpenAPI document is an object that starts "
                              '{"openapi": "3.0.3", "info": {...}, "paths": {...}}')
        if "swagger" in data and "openapi" not in data:
            raise SpecProblem(f"is a Swagger {data.get('swagger')} document; write an OpenAPI 3.0 or 3.1 document "
                              '("openapi": "3.0.3" or "3.1.0"): most frameworks and converters make one')
        version = data.get("openapi")
        if not isinstance(version, str):
            raise SpecProblem('has no "openapi" field; an OpenAPI document starts {"openapi": "3.0.3", ...} '
                              '(or "3.1.0")')
        short = ".".join(version.split(".")[:2])
        if short not in SUPPORTED:
            raise SpecProblem(f'says "openapi": "{version}"; this lab reads OpenAPI 3.0 or 3.1 ("3.0.3" or "3.1.0")')
        try:
            # The first error only: past a structural error, the validator's later passes may trip over the
            # very thing it reported.
            error = next(iter(_tools(short)[0](data).iter_errors()), None)
        except Exception as exc:  # noqa: BLE001 - a document too broken for the validator to walk
            raise SpecProblem(f"is not a valid OpenAPI {short} document (the validator could not read it: "
                              f"{type(exc).__name__}); an online or command-line OpenAPI validator shows why") from None
        if error is not None:
            where = "/".join(str(p) for p in error.absolute_path) or "the top level"
            raise SpecProblem(f"is not a valid OpenAPI {short} document: at {where}: {_short(error.message)}; "
                              "an online or command-line OpenAPI validator shows every error")
        return cls(data, short)

    def _base_path(self) -> str:
        servers = self.data.get("servers") or []
        url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
        path = urlsplit(url).path if "{" not in url else ""
        return path.rstrip("/")

    # ---- operations ------------------------------------------------------------------------------

    def bases(self) -> list[str]:
        """The path prefixes the document's paths may be served under: the first server's path, and none (a
        document may name its production server while the app under test serves at the root)."""
        return [self.base, ""] if self.base else [""]

    def operations(self) -> dict[tuple[str, str], str]:
        """{(METHOD, template key): 'METHOD /template'} for every operation the document describes, with and
        without the servers' base path."""
        found = {}
        for template, item in (self.data.get("paths") or {}).items():
            item = self.resolve(item)[0] if isinstance(item, dict) else {}
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    for base in self.bases():
                        found[(method.upper(), template_key(base + template))] = f"{method.upper()} {base}{template}"
        return found

    def find(self, method: str, path: str) -> tuple[str, dict, list[str]] | str:
        """(template, operation, its pointer) for a request, or a problem saying what the document lacks."""
        for base in self.bases():
            matches = []
            for template, item in (self.data.get("paths") or {}).items():
                pattern = re.escape(base + template.rstrip("/"))
                pattern = re.sub(r"\\\{[^}/]*\\\}", "[^/]+", pattern)
                if re.fullmatch(pattern + "/?", path):
                    literal = len(re.sub(r"\{[^}/]*\}", "", template))
                    matches.append((literal, template, item))
            if matches:
                break
        else:
            return f"the document has no path that {path} matches"
        _, template, item = max(matches, key=lambda m: m[0])
        item, where = self.resolve(item, ["paths", template])
        operation = item.get(method.lower())
        if not isinstance(operation, dict):
            return f"the document has no {method} for {template}"
        return template, operation, [*where, method.lower()]

    def resolve(self, node: Any, where: list[str] | None = None) -> tuple[Any, list[str]]:
        """A node with its local $ref followed (a few levels at most), and its pointer in the document."""
        where = list(where or [])
        for _ in range(8):
            ref = node.get("$ref") if isinstance(node, dict) else None
            if not isinstance(ref, str) or not ref.startswith("#/"):
                break
            where = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
            node = self.data
            for part in where:
                node = node.get(part) if isinstance(node, dict) else None
        return node, where

    # ---- answers ---------------------------------------------------------------------------------

    def response_problem(self, method: str, path: str, status: int, content_type: str, body: bytes,
                         parse: Any) -> str | None:
        """None when the document lists this status for the operation and the body fits its schema; else what
        differs. `parse` turns the body into JSON (raising ValueError)."""
        found = self.find(method, path)
        if isinstance(found, str):
            return found
        template, operation, where = found
        said = f"{method} {template}"
        responses = operation.get("responses") or {}
        key = next((k for k in (str(status), f"{status // 100}XX", f"{status // 100}xx") if k in responses), None)
        if key is None and status >= 400 and "default" in responses:
            key = "default"  # default stands for the errors not listed; a success must be listed by its code
        if key is None:
            listed = ", ".join(sorted(str(k) for k in responses)) or "nothing"
            return (f"{said} answered {_status(status)}, which the document does not list for {said} (it lists "
                    f"{listed}); list {status} there with the schema of its body, or make the app answer what "
                    "the document says")
        entry, at = self.resolve(responses[key], [*where, "responses", str(key)])
        content = entry.get("content") if isinstance(entry, dict) else None
        if not content:
            return None  # the document says nothing of this answer's body
        media = content_type.split(";")[0].strip().lower()
        empty = not body.strip()
        if empty:
            return (f"{said} answered {_status(status)} with no body, yet the document describes a body for "
                    f"{status} ({', '.join(content)})")
        chosen = next((m for m in (media, media.split("/")[0] + "/*", "*/*") if m in content), None)
        if chosen is None:
            return (f"{said} answered {_status(status)} as {media or 'no content type'}; the document describes "
                    f"only {', '.join(content)} there")
        schema_at = [*at, "content", chosen, "schema"]
        if not isinstance(content[chosen], dict) or "schema" not in content[chosen]:
            return None
        if "json" not in chosen and chosen != "*/*":
            return None
        try:
            data = parse(body)
        except ValueError:
            return f"{said} answered {_status(status)} with a body that is not JSON, where the document says {chosen}"
        validator = self.validator_class({"$ref": HOME + _pointer(schema_at)}, registry=self.registry,
                                         format_checker=self.formats)
        error = best_match(validator.iter_errors(data))
        if error is None:
            return None
        where_in = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path).lstrip(".")
        return (f"{said} answered {_status(status)} with a body that does not fit the document's schema for "
                f"{status}: {'at ' + where_in + ': ' if where_in else ''}{_short(error.message)} (the schema's "
                f"{error.validator!r} rule); make the document say what the app answers, or the app answer what "
                "the document says")


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
