"""The runner images graded code runs in. Python's is built and used in every CI run (test_containment.py);
each other one is built and smoke-tested (a program compiled and run, in a sandbox) whenever its recipe in
compose/runners/<language>/ changes: its digest is compared with the one recorded in
tests/data/runner-recipes.json when it last passed. Record a new digest with RECORD_RUNNER_RECIPES=1."""
from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from labctl.core import events
from labctl.core.image_policy import context_hash
from labctl.core.runners import RUNNER_LIMITS, runners
from tests.conftest import new_instance_name

pytestmark = pytest.mark.live
RECORD = Path(__file__).resolve().parents[1] / "data" / "runner-recipes.json"

# language -> (files, the command that builds and runs them; stdin "world" must print "hello world")
SMOKE = {
    "python": ({"main.py": "import sys\nprint('hello ' + sys.stdin.read().strip())\n"}, "python3 main.py"),
    "node": ({"main.js": "const s = require('fs').readFileSync(0, 'utf8').trim();\nconsole.log('hello ' + s);\n"},
             "node main.js"),
    "java": ({"Main.java": "public class Main { public static void main(String[] a) throws Exception {\n"
                           "  String s = new String(System.in.readAllBytes()).trim();\n"
                           "  System.out.println(\"hello \" + s); } }\n"}, "javac Main.java && java Main"),
    "go": ({"main.go": "package main\nimport (\"fmt\"; \"io\"; \"os\"; \"strings\")\n"
                       "func main() { b, _ := io.ReadAll(os.Stdin); fmt.Println(\"hello \" + strings.TrimSpace(string(b))) }\n"},
           "go run main.go"),
    "c": ({"main.c": "#include <stdio.h>\nint main(void) { char s[64] = \"\"; scanf(\"%63s\", s); "
                     "printf(\"hello %s\\n\", s); return 0; }\n"}, "gcc -o main main.c && ./main"),
}


def _files(contents: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, text in contents.items():
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size, member.uid, member.gid, member.mode = len(data), 1000, 1000, 0o644
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def test_every_runner_has_a_smoke_test():
    assert set(SMOKE) == set(runners())


@pytest.mark.parametrize("language", sorted(SMOKE))
def test_a_runner_builds_and_runs_a_program_in_its_language(language, tmp_path):
    from labctl.core.settings import Settings
    from labctl.runtime.base import SandboxSpec
    from labctl.runtime.docker import DockerRuntime

    runner = runners()[language]
    digest = context_hash(runner.context)[:12]
    recorded = json.loads(RECORD.read_text()) if RECORD.exists() else {}
    recording = os.environ.get("RECORD_RUNNER_RECIPES") == "1"
    if language != "python" and recorded.get(language) == digest and not recording:
        pytest.skip(f"the {language} runner's recipe is unchanged since its smoke test last passed ({digest}); "
                    f"it is built and smoke-tested again when compose/runners/{language}/ changes")
    runtime = DockerRuntime(Settings.from_environ(dict(os.environ, LABCTL_HOME=str(tmp_path))))
    image = runtime.images.resolve(runner.image_spec, "build", events.discard)
    files, command = SMOKE[language]
    box = runtime.open_sandbox(SandboxSpec(instance=new_instance_name(f"runner-{language}"), lab="runners",
                                           image=image, files=_files(files), limits=RUNNER_LIMITS))
    try:
        versions = box.run(runner.versions, time_limit=60)
        assert versions.exit_code == 0 and versions.stdout.strip(), versions.stderr
        done = box.run(command, stdin=b"world\n", time_limit=120)
        assert done.exit_code == 0, (done.stdout + done.stderr).decode(errors="replace")
        assert done.stdout.decode().strip() == "hello world"
    finally:
        box.close()
    if language != "python" and recorded.get(language) != digest:
        if recording:
            RECORD.write_text(json.dumps({**recorded, language: digest}, indent=2, sort_keys=True) + "\n")
        else:
            pytest.fail(f"the {language} runner's recipe changed and its smoke test passed "
                        f"({versions.stdout.decode().strip()}); record it: RECORD_RUNNER_RECIPES=1 pytest {__file__}")
