"""MongoDB from the host: connect, probe, run operation files (seed, solutions), reset by re-seeding.

An operation file (`run:` step, .json or .yaml/.yml) is a list of operations run in order on the lab's
database (MONGO_INITDB_DATABASE). Values may use MongoDB extended JSON ({"$oid": ...}, {"$date": ...}).

    - insert: books                      # collection
      documents: [{title: Dune, year: 1965}]
    - createCollection: members          # options are passed to MongoDB as they are
      validator: {$jsonSchema: {required: [email]}}
    - createIndex: books
      keys: [[title, 1], [year, -1]]     # or {title: 1}
      options: {unique: true}            # name, unique, expireAfterSeconds, sparse...
    - updateOne: books                   # or updateMany
      filter: {title: Dune}
      update: {$set: {year: 1966}}
      upsert: false
    - deleteMany: books                  # or deleteOne
      filter: {year: {$lt: 1900}}
    - drop: books
    - command: {collMod: members, validationLevel: strict}   # a raw database command

Every operation may also say `database: other` to work outside the lab's database.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import yaml

from labctl.core.access import ServiceAccess
from labctl.core.errors import LabctlError, ServiceUnavailable
from labctl.core.model import Step
from labctl.services.base import ServiceDriver
from labctl.core.text import NotUtf8Error, read_learner_text

# The seeded marker lives outside the lab's database, so the learner's database holds only lab data.
MARKER_DB = "labctl"
MARKER_COLLECTION = "seeded"

# action -> (required keys, optional keys); `database` is allowed everywhere.
OPERATIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "insert": (frozenset({"documents"}), frozenset()),
    "createCollection": (frozenset(), frozenset({"validator", "validationLevel", "validationAction",
                                                 "capped", "size", "max", "timeseries", "expireAfterSeconds"})),
    "createIndex": (frozenset({"keys"}), frozenset({"options"})),
    "updateOne": (frozenset({"filter", "update"}), frozenset({"upsert"})),
    "updateMany": (frozenset({"filter", "update"}), frozenset({"upsert"})),
    "deleteOne": (frozenset({"filter"}), frozenset()),
    "deleteMany": (frozenset({"filter"}), frozenset()),
    "drop": (frozenset(), frozenset()),
    "command": (frozenset(), frozenset()),
}


class OperationFileError(ValueError):
    """An operation file that cannot be read or does not follow the format above."""


def from_extended(value: Any) -> Any:
    """A YAML/JSON value with MongoDB extended JSON ({"$oid": ...}) turned into BSON values.

    YAML dates become midnight UTC datetimes (BSON has no date-only type). Raises ValueError.
    """
    from bson import json_util

    if isinstance(value, dict):
        # Innermost first, as json_util.loads does.
        converted = {str(k): from_extended(v) for k, v in value.items()}
        try:
            return json_util.object_hook(converted)
        except Exception as exc:  # bson raises TypeError, ValueError, InvalidId... for bad extended JSON
            raise ValueError(f"bad extended JSON {json.dumps(value, default=str)[:80]}: {exc}") from exc
    if isinstance(value, list):
        return [from_extended(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return value


def index_keys(raw: Any) -> list[tuple[str, Any]]:
    """[[field, 1], [other, -1]] or {field: 1} -> [(field, 1), ...]. Raises ValueError."""
    pairs = list(raw.items()) if isinstance(raw, dict) else raw
    if not isinstance(pairs, list) or not pairs:
        raise ValueError("keys must be a non-empty list of [field, direction] pairs")
    out = []
    for pair in pairs:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2 and isinstance(pair[0], str) and pair[0]):
            raise ValueError(f"{pair!r} is not a [field, direction] pair")
        direction = pair[1]
        if isinstance(direction, bool) or direction not in (1, -1, "text", "2dsphere", "2d", "hashed"):
            raise ValueError(f"{pair[0]}: direction must be 1, -1, text, 2dsphere, 2d or hashed, not {direction!r}")
        out.append((pair[0], direction))
    return out


def parse_operations(path: Path) -> list[dict[str, Any]]:
    """Read and validate an operation file. Returns the operations with BSON values. Raises OperationFileError."""
    try:
        text = read_learner_text(path)
    except OSError as exc:
        raise OperationFileError(f"cannot read {path}: {exc.strerror}") from exc
    except NotUtf8Error as exc:
        raise OperationFileError(str(exc)) from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise OperationFileError(f"{path.name} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                                 f"{str(exc).splitlines()[0]}") from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise OperationFileError(f"{path.name} must hold a list of operations")
    return [_operation(path, i, op) for i, op in enumerate(data)]


def _operation(path: Path, index: int, op: Any) -> dict[str, Any]:
    where = f"{path.name}, operation {index + 1}"
    if not isinstance(op, dict):
        raise OperationFileError(f"{where}: must be a mapping like {{insert: books, documents: [...]}}")
    actions = [k for k in op if k in OPERATIONS]
    if len(actions) != 1:
        raise OperationFileError(f"{where}: needs exactly one of {', '.join(OPERATIONS)}")
    action = actions[0]
    required, optional = OPERATIONS[action]
    missing = sorted(required - set(op))
    if missing:
        raise OperationFileError(f"{where}: {action} needs {', '.join(missing)}")
    if action != "command":
        unknown = sorted(set(op) - required - optional - {action, "database"})
        if unknown:
            raise OperationFileError(f"{where}: unknown key {unknown[0]!r} for {action}")
        if not isinstance(op[action], str) or not op[action]:
            raise OperationFileError(f"{where}: {action} must name a collection")
    elif not isinstance(op["command"], dict) or not op["command"] or set(op) - {"command", "database"}:
        raise OperationFileError(f"{where}: command must be a mapping like {{collMod: books, ...}}")
    try:
        parsed = {k: from_extended(v) for k, v in op.items()}
        if action == "createIndex":
            parsed["keys"] = index_keys(op["keys"])
    except ValueError as exc:
        raise OperationFileError(f"{where}: {exc}") from exc
    if action == "insert" and not (isinstance(parsed["documents"], list)
                                   and all(isinstance(d, dict) for d in parsed["documents"])):
        raise OperationFileError(f"{where}: documents must be a list of mappings")
    return parsed


# The learner's rights: everything on the lab's database (collections, indexes, validators), nothing else.
LEARNER_ROLES = ("readWrite", "dbAdmin")


def separate_users(access: ServiceAccess) -> bool:
    """False for an instance made before labctl gave the learner a user of their own (one root user)."""
    env = access.environment
    return "LABCTL_LEGACY" not in env and bool(env.get("LABCTL_LEARNER_USER"))


def credentials(access: ServiceAccess, role: str = "admin") -> tuple[str, str, str]:
    """(user, password, lab database) of labctl's root user ("admin") or the learner's ("learner")."""
    env = access.environment
    database = env.get("MONGO_INITDB_DATABASE") or "test"
    if role == "learner" and separate_users(access):
        return env["LABCTL_LEARNER_USER"], env.get("LABCTL_LEARNER_PASSWORD", ""), database
    return env.get("MONGO_INITDB_ROOT_USERNAME", ""), env.get("MONGO_INITDB_ROOT_PASSWORD", ""), database


def connect(access: ServiceAccess, *, role: str = "admin", timeout: float = 10.0):
    """A MongoClient for the service, as `role` (both users live in the admin database). It connects lazily:
    errors come from the first command."""
    from pymongo import MongoClient

    user, password, _ = credentials(access, role)
    ms = max(500, int(timeout * 1000))
    auth = {"username": user, "password": password, "authSource": "admin"} if user else {}
    return MongoClient(
        host=access.host, port=access.port, directConnection=True, appname="labctl",
        serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms, **auth,
    )


# Index kinds the MongoDB-compatible local build (compose/images/mongodb) refuses; docs/mongodb-compatible.md
# lists every difference that matters to a lab, each with the live test that shows it.
INDEX_KINDS_NEEDING_MONGODB = frozenset({"text", "hashed"})


def compatible_build(client) -> str | None:
    """The name and version of the server when it is the MongoDB-compatible build rather than MongoDB
    ("SecantusDB 0.7.0b3"), else None. Raises pymongo errors."""
    info = client.admin.command("buildInfo")
    version = info.get("secantusVersion")
    return f"SecantusDB {version}" if version else None


class CachedClient:
    """A MongoClient as CheckContext.connection caches it.

    The context asks a cached client whether it is `closed`; a MongoClient answers any attribute
    with a Database (and a Database refuses truth testing), so the client goes in this holder.
    """

    def __init__(self, client):
        self.client = client
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self.client.close()


def short_error(exc: BaseException) -> str:
    """A one-line reason from a pymongo error (server selection errors carry a whole topology dump)."""
    details = getattr(exc, "details", None)
    if isinstance(details, dict) and details.get("writeErrors"):  # BulkWriteError from insert_many
        return str(details["writeErrors"][0].get("errmsg", details["writeErrors"][0]))[:300]
    if isinstance(details, dict) and details.get("errmsg"):
        return str(details["errmsg"])
    text = str(exc).strip()
    text = text.split(", Timeout:")[0].split(" (configured timeouts")[0]
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def run_operation(client, database: str, op: dict[str, Any]) -> None:
    """Run one parsed operation. Raises pymongo errors."""
    db = client[op.get("database") or database]
    action = next(k for k in op if k in OPERATIONS)
    target = op[action]
    if action == "insert":
        if op["documents"]:
            db[target].insert_many(op["documents"])
    elif action == "createCollection":
        db.create_collection(target, **{k: v for k, v in op.items() if k not in (action, "database")})
    elif action == "createIndex":
        db[target].create_index(op["keys"], **(op.get("options") or {}))
    elif action == "updateOne":
        db[target].update_one(op["filter"], op["update"], upsert=bool(op.get("upsert")))
    elif action == "updateMany":
        db[target].update_many(op["filter"], op["update"], upsert=bool(op.get("upsert")))
    elif action == "deleteOne":
        db[target].delete_one(op["filter"])
    elif action == "deleteMany":
        db[target].delete_many(op["filter"])
    elif action == "drop":
        db.drop_collection(target)
    else:
        db.command(target)


class MongoDriver(ServiceDriver):
    kind = "mongodb"
    title = "MongoDB"
    run_file = "a file of MongoDB operations"

    def probe(self, access: ServiceAccess) -> None:
        # Authenticating too: during initialisation the root user does not exist yet.
        client = connect(access, timeout=3)
        try:
            client.admin.command("ping")
        finally:
            client.close()

    def on_ready(self, access: ServiceAccess) -> None:
        """The learner's user, as this instance made it: its password, and rights on the lab database only."""
        if not separate_users(access):
            return
        user, password, database = credentials(access, "learner")
        roles = [{"role": role, "db": database} for role in LEARNER_ROLES]
        with _client(access, timeout=30) as client:
            admin = client["admin"]
            known = _guard(access, lambda: admin.command("usersInfo", user)["users"])
            verb = "updateUser" if known else "createUser"
            _guard(access, lambda: admin.command(verb, user, pwd=password, roles=roles))

    def holds_data(self, access: ServiceAccess) -> bool:
        """A collection in the lab database."""
        database = credentials(access)[2]
        with _client(access, timeout=10) as client:
            return bool(_guard(access, lambda: client[database].list_collection_names()))

    def apply(self, access: ServiceAccess, step: Step) -> None:
        """A solution's or a submission's operations run as the learner, with the learner's rights only."""
        if step.action not in self.step_actions:
            raise self.refuse_step(step)
        self._run_file(access, step.source, hint=None, role="learner")

    def _run_file(self, access: ServiceAccess, path: Path, *, hint: str | None, role: str = "admin") -> None:
        from pymongo import errors

        try:
            operations = parse_operations(path)
        except OperationFileError as exc:
            raise LabctlError(str(exc), hint) from exc
        database = credentials(access)[2]
        with _client(access, timeout=60, role=role) as client:
            for i, op in enumerate(operations):
                try:
                    run_operation(client, database, op)
                except errors.ConnectionFailure as exc:
                    raise ServiceUnavailable(f"MongoDB at {access.host}:{access.port} did not answer: {short_error(exc)}") from exc
                except errors.PyMongoError as exc:
                    action = next(k for k in op if k in OPERATIONS)
                    raise LabctlError(f"{path.name}, operation {i + 1} ({action}): MongoDB refused it: {short_error(exc)}",
                                      hint) from exc
                except (ValueError, TypeError) as exc:  # pymongo checks arguments before sending: `update: {}`
                    action = next(k for k in op if k in OPERATIONS)
                    raise LabctlError(f"{path.name}, operation {i + 1} ({action}): {exc}", hint) from exc

    def is_seeded(self, access: ServiceAccess) -> bool:
        database = credentials(access)[2]
        with _client(access, timeout=10) as client:
            return _guard(access, lambda: client[MARKER_DB][MARKER_COLLECTION].find_one({"_id": database})) is not None

    def seed(self, access: ServiceAccess, steps: list[Step]) -> None:
        """Drop the lab database, run every seed file, then set the seeded marker."""
        database = credentials(access)[2]
        with _client(access, timeout=60) as client:
            _guard(access, lambda: client[MARKER_DB][MARKER_COLLECTION].delete_one({"_id": database}))
            _guard(access, lambda: client.drop_database(database))
        for step in steps:
            # Not atomic (a standalone server has no transactions): a failed seed leaves no marker,
            # so the next start drops the database and seeds again.
            self._run_file(access, step.source, hint="This is a bug in the lab; tell its author.")
        with _client(access, timeout=10) as client:
            _guard(access, lambda: client[MARKER_DB][MARKER_COLLECTION].replace_one(
                {"_id": database}, {"_id": database, "at": dt.datetime.now(dt.timezone.utc)}, upsert=True))

    # No snapshot: MongoDB has no cheap database copy; the seed files are the pristine state and restore re-runs them.

    def restore(self, access: ServiceAccess, seed: list[Step] | None = None) -> None:
        self.seed(access, list(seed or []))


class _client:
    """`with _client(access) as client:` closes the client even when a command fails."""

    def __init__(self, access: ServiceAccess, *, timeout: float, role: str = "admin"):
        self.client = connect(access, role=role, timeout=timeout)

    def __enter__(self):
        return self.client

    def __exit__(self, *exc) -> None:
        self.client.close()


def _guard(access: ServiceAccess, call):
    """call(), with pymongo's errors turned into ServiceUnavailable or LabctlError."""
    from pymongo import errors

    try:
        return call()
    except errors.ConnectionFailure as exc:
        raise ServiceUnavailable(f"MongoDB at {access.host}:{access.port} did not answer: {short_error(exc)}") from exc
    except errors.PyMongoError as exc:
        raise LabctlError(f"MongoDB refused a labctl command: {short_error(exc)}") from exc

