"""What the deploy.* checks do in and around the box: push a commit as the learner would, read the site
from the host through the box's published HTTP port, and read the release folders and the `current` link."""
from __future__ import annotations

import http.client
import posixpath
import shlex
import threading
import time
import uuid
from dataclasses import dataclass

from labctl.check_engine.base import Check
from labctl.check_engine.context import CheckContext
from labctl.core.errors import CheckError

from labctl.core.access import PathFacts

from ..linux.common import path_facts, run_in_box, shortened

PROBE_TEST = "tests/test_labctl_probe_{tag}.py"
PROBE_TEST_TEXT = '''import unittest


class LabctlProbeTest(unittest.TestCase):
    """A failing test pushed by labctl's check: a push that carries it must never be served."""

    def test_probe_{tag}(self):
        self.assertEqual("{tag}", "works", "this test fails on purpose")
'''


def new_marker() -> str:
    return f"labctl-{uuid.uuid4().hex[:12]}"


# ---- the site, from the host --------------------------------------------------------------------

@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer at all
    body: str
    error: str = ""  # the kind of connection error, when status is None

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 500

    def said(self) -> str:
        return f"answered {self.status}" if self.status is not None else self.error


def site(ctx: CheckContext, check: Check) -> tuple[str, int]:
    """(host, port) of the box's published HTTP port (container port 80) on this machine."""
    access = ctx.service(check.service)
    if 80 not in access.ports:
        raise CheckError(f"{check.service} publishes no HTTP port (container port 80)")
    return access.host, access.ports[80]


def get(host: str, port: int, path: str, timeout: float = 5.0) -> Answer:
    """One GET without any proxy (http.client never reads HTTP_PROXY); connection errors are named."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        return Answer(response.status, response.read(4096).decode("utf-8", "replace").strip())
    except ConnectionRefusedError:
        return Answer(None, "", "connection refused (nothing listens on the published HTTP port: is nginx running?)")
    except ConnectionResetError:
        return Answer(None, "", "connection reset")
    except TimeoutError:
        return Answer(None, "", f"no answer within {timeout:g}s (timeout)")
    except (http.client.HTTPException, OSError) as exc:
        return Answer(None, "", f"connection error ({exc.__class__.__name__}: {exc})")
    finally:
        conn.close()


def curl(host: str, port: int, path: str) -> str:
    return f"curl -i http://{host}:{port}{path}"


def poll(host: str, port: int, path: str, wanted: str, seconds: float) -> tuple[bool, Answer]:
    """GET path until its body is `wanted` (True) or `seconds` pass (False, the last answer)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = get(host, port, path)
        if answer.status == 200 and answer.body == wanted:
            return True, answer
        if time.monotonic() >= deadline:
            return False, answer
        time.sleep(0.2)


class Stream:
    """A bounded stream of GETs to the site from a few threads, while something else happens (a deploy).

    At most `limit` requests in at most `seconds`, paced so the budget lasts the whole time. A failure is a
    connection error or a 5xx answer; the first one is kept with the moment it happened."""

    def __init__(self, host: str, port: int, path: str, *, limit: int = 400, seconds: float = 20.0, workers: int = 4):
        self.host, self.port, self.path = host, port, path
        self.limit, self.seconds, self.workers = limit, seconds, workers
        self.sent = 0
        self.failures = 0
        self.first: tuple[float, Answer] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._began = 0.0

    def __enter__(self) -> "Stream":
        self._began = time.monotonic()
        for _ in range(self.workers):
            thread = threading.Thread(target=self._work, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)

    @property
    def exhausted(self) -> bool:
        return self.sent >= self.limit or time.monotonic() - self._began >= self.seconds

    def _work(self) -> None:
        pause = self.seconds * self.workers / self.limit  # each worker's share of the budget
        while not self._stop.is_set():
            with self._lock:
                if self.exhausted:
                    return
                self.sent += 1
            began = time.monotonic()
            answer = get(self.host, self.port, self.path)
            if answer.failed:
                with self._lock:
                    self.failures += 1
                    if self.first is None:
                        self.first = (began - self._began, answer)
            self._stop.wait(max(0.0, pause - (time.monotonic() - began)))


# ---- files, from outside the box -----------------------------------------------

def facts(ctx: CheckContext, check: Check, path: str) -> PathFacts | None:
    """What is at `path` in the box, as the engine sees it (a learner's replaced `stat` or `readlink` cannot
    lie): a symlink as a symlink (not followed), a small file with its content; None when nothing is there."""
    return path_facts(ctx, check, path, content=True, follow=False)


def link_target(link: str, target: str) -> str:
    """The absolute, normalised path a symlink at `link` written as `target` points to."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(link), target))


def version_in(ctx: CheckContext, check: Check, release: str, file: str) -> str | None:
    """The content of `file` in the release folder (stripped), or None when it is not there."""
    found = facts(ctx, check, posixpath.join(release, file))
    if found is None or found.kind != "file" or found.content is None:
        return None
    return found.content.decode("utf-8", "replace").strip()


# ---- a push, as the learner would ---------------------------------------------------------------

PUSH_SCRIPT = r'''
set -u
repo=$1 branch=$2 file=$3 marker=$4 test_path=$5 test_text=$6 to=$7
work=$(mktemp -d /tmp/labctl-push-XXXXXX)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
if ! git clone -q --branch "$branch" "$repo" "$work/app" 2>&1; then echo "LABCTL-CLONE-FAILED"; exit 3; fi
cd "$work/app"
rm -f tests/test_labctl_probe_*.py
printf '%s\n' "$marker" > "$file"
if [ -n "$test_path" ]; then printf '%s' "$test_text" > "$test_path"; fi
git add -A
git -c user.name="labctl check" -c user.email=check@labctl.invalid commit -q -m "Release $marker" || exit 4
git push origin "HEAD:refs/heads/$to" 2>&1
'''


@dataclass(frozen=True)
class Pushed:
    ok: bool
    output: str  # git's output, the hook's lines ("remote: ...") included


def push(ctx: CheckContext, check: Check, *, repo: str, branch: str, file: str, marker: str, user: str,
         failing_test: bool = False, to: str | None = None) -> Pushed:
    """Commit `file` = marker (and a failing test, when asked) in a fresh clone of `repo` on `branch`, and
    push it as `user` to `branch` (or to the branch `to`). A probe test an earlier push left in the branch is
    removed in the same commit."""
    tag = marker.removeprefix("labctl-")
    test_path = PROBE_TEST.format(tag=tag) if failing_test else ""
    test_text = PROBE_TEST_TEXT.format(tag=tag) if failing_test else ""
    code, out = run_in_box(ctx, check, ["bash", "-c", PUSH_SCRIPT, "labctl", repo, branch, file, marker,
                                        test_path, test_text, to or branch], user)
    if code == 3 or "LABCTL-CLONE-FAILED" in out:
        raise CheckError(f"cannot clone {repo} (branch {branch}) as {user}: {shortened(out)}")
    if code == 4:
        raise CheckError(f"cannot commit in a clone of {repo}: {shortened(out)}")
    return Pushed(code == 0, out.strip())


def hook_lines(pushed: Pushed) -> str:
    """What the repository's hooks printed during the push ("remote: ..." lines), for a message."""
    lines = [line[len("remote:"):].strip() for line in pushed.output.splitlines() if line.startswith("remote:")]
    return shortened("\n".join(line for line in lines if line), 400)


def clone_command(repo: str) -> str:
    return f"git clone {shlex.quote(repo)}"
