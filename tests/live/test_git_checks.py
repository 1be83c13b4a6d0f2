"""Live tests of the git.* checks, on repositories made for each test inside a Linux box (as learner)."""
from __future__ import annotations

import uuid

import pydantic
import pytest

from tests.live.box import SERVICE, box_context, check_runner, no, ok, running_box

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    with running_box(tmp_path_factory, "git") as found:
        yield found


@pytest.fixture
def ctx(box):
    with box_context(box) as context:
        yield context


@pytest.fixture
def repo(ctx):
    """A fresh shared repository (bare) and a clone of it, both the learner's, with one commit on main.
    Yields (path of the bare repository, run): run("git ...") runs bash in the clone, as learner."""
    top = f"/tmp/gitcheck-{uuid.uuid4().hex[:10]}"

    def run(command: str, ok: bool = True) -> str:
        code, out = ctx.exec(SERVICE, ["bash", "-c", f"set -e; cd {top}/work; {command}"], "learner")
        if ok:
            assert code == 0, f"{command!r} exited {code}: {out}"
        return out

    code, out = ctx.exec(SERVICE, ["bash", "-c", f"""set -e
        git init -q --bare -b main {top}/shared.git
        git clone -q {top}/shared.git {top}/work 2>/dev/null
        cd {top}/work
        git config user.name Lee; git config user.email lee@example.com
        printf 'GREETING = "Hello"\\nPRICE = 1\\n' > app.py
        git add app.py; git commit -q -m "Start"; git push -q origin main"""], "learner")
    assert code == 0, out
    yield f"{top}/shared.git", run
    ctx.exec(SERVICE, ["rm", "-rf", top], "learner")


@pytest.fixture
def run_check(ctx):
    return check_runner(ctx)


WELCOME = 'GREETING = "Welcome"'
CHANGE = "sed -i 's/^GREETING = .*/GREETING = \"Welcome\"/' app.py"


def greeting_commit(shared: str, **extra) -> dict:
    return {"type": "git.commit", "repo": shared, "branch": "feature/greeting", "subject": "Friendlier greeting",
            "adds": {"app.py": WELCOME}, "not_made_on": "main", **extra}


# ---- git.commit ---------------------------------------------------------------------------------

def test_commit_made_on_its_branch_passes_and_each_rule_fails_alone(repo, run_check):
    shared, run = repo
    check = greeting_commit(shared)
    no(run_check(check), "the repository has no branch feature/greeting yet")
    run(f"git switch -q -c feature/greeting; {CHANGE}; git commit -q -am 'Friendlier greting'; git push -q -u origin HEAD")
    no(run_check(check), 'branch feature/greeting has no commit with the message "Friendlier greeting"')
    run("echo notes > notes.txt; git add notes.txt; git commit -q -m 'Friendlier greeting'; git push -q")
    no(run_check(check), "does not put the line 'GREETING = \"Welcome\"' into app.py")
    no(run_check({**check, "adds": {}, "changes": ["app.py"]}), "does not change app.py")
    ok(run_check({**check, "adds": {}, "changes": ["notes.txt"]}))
    run(f"git reset -q --hard main; {CHANGE}; git commit -q -am 'Friendlier greeting'; git push -q -f")
    ok(run_check(check))


def test_a_change_committed_on_main_then_branched_fails_and_the_told_fix_passes(repo, run_check):
    shared, run = repo
    run(f"{CHANGE}; git commit -q -am 'Friendlier greeting'; git push -q; git switch -q -c feature/greeting; "
        "git push -q -u origin feature/greeting")
    no(run_check(greeting_commit(shared)), "was made on main, not on a branch of its own")
    ok(run_check({**greeting_commit(shared), "not_made_on": None}))  # the rule alone makes the difference
    # The fix the task gives: revert on main, make the branch again from there and commit again.
    run("git switch -q main; git revert --no-edit HEAD >/dev/null; git push -q; git push -q origin --delete feature/greeting; "
        f"git switch -q -C feature/greeting; {CHANGE}; git commit -q -am 'Friendlier greeting'; git push -q -u origin feature/greeting")
    ok(run_check(greeting_commit(shared)))
    # Merged into main with a merge commit later: still made on its branch.
    run("git switch -q main; git merge -q --no-ff --no-edit feature/greeting; git push -q")
    ok(run_check(greeting_commit(shared)))


def test_commit_parameters_are_validated():
    from labctl.check_engine import registry

    with pytest.raises(pydantic.ValidationError, match="at least one of"):
        registry.get("git.commit").model_validate({"repo": "/r", "branch": "main"})
    with pytest.raises(pydantic.ValidationError):
        registry.get("git.commit").model_validate({"repo": "r", "branch": "main", "subject": "x"})


# ---- git.merged ---------------------------------------------------------------------------------

def merged(shared: str, **extra) -> dict:
    return {"type": "git.merged", "repo": shared, "into": "main", "commit": {"rev": "refs/heads/feature/greeting"},
            "name": "feature/greeting", **extra}


def branch_with_greeting(run) -> None:
    run(f"git switch -q -c feature/greeting; {CHANGE}; git commit -q -am 'Friendlier greeting'; "
        "git push -q -u origin feature/greeting; git switch -q main")


def test_merged_with_a_merge_commit_passes_and_a_fast_forward_fails(repo, run_check):
    shared, run = repo
    no(run_check(merged(shared, hints={"missing": "do task 2 first"})), "feature/greeting does not exist yet: do task 2 first")
    branch_with_greeting(run)
    no(run_check(merged(shared)), "feature/greeting is not in main's history")
    run("git merge -q --ff-only feature/greeting; git push -q")
    ok(run_check(merged(shared)))
    no(run_check(merged(shared, merge_commit=True, hints={"fast_forward": "use --no-ff"})),
       "feature/greeting reached main by a fast-forward (or a rebase), so main has no merge commit for it: use --no-ff")
    run("git reset -q --hard HEAD~1; git merge -q --no-ff --no-edit feature/greeting; git push -q")
    ok(run_check(merged(shared, merge_commit=True)))


def test_a_merge_that_throws_the_change_away_fails(repo, run_check):
    shared, run = repo
    branch_with_greeting(run)
    run("git merge -q --no-ff -s ours --no-edit feature/greeting; git push -q")
    no(run_check(merged(shared, merge_commit=True)),
       "feature/greeting is in main's history, but its change is not in main's files: app.py lacks the line "
       "'GREETING = \"Welcome\"' (was it merged with -s ours")
    ok(run_check(merged(shared, merge_commit=True, change_kept=False)))  # history alone: what passed before
    # The line added by hand, the old one still there: the removed line is found.
    run(f"echo '{WELCOME}' >> app.py; git commit -q -am 'Add the greeting'; git push -q")
    no(run_check(merged(shared)), "app.py still has the line 'GREETING = \"Hello\"', which it removed")
    run("sed -i '/Hello/d' app.py; git commit -q -am 'Drop the old greeting'; git push -q")
    ok(run_check(merged(shared, merge_commit=True)))


def test_merged_finds_a_commit_by_subject_and_author_in_another_clone(repo, run_check):
    shared, run = repo
    sams = {"repo": shared, "rev": "main", "subject": "Fix the price", "author": "sam@example.com"}
    check = merged(shared, commit=sams, name="Sam's fix", hints={"missing": "Sam has not pushed yet"})
    no(run_check(check), "Sam's fix does not exist yet: Sam has not pushed yet")
    run("sed -i 's/PRICE = 1/PRICE = 2/' app.py; git -c user.email=lee@example.com commit -q -am 'Fix the price'; git push -q")
    no(run_check(check), "Sam's fix does not exist yet")  # the right message, by someone else
    run("git reset -q --hard origin/main~1; sed -i 's/PRICE = 1/PRICE = 2/' app.py; "
        "git -c user.email=sam@example.com commit -q -am 'Fix the price'; git push -q -f")
    ok(run_check(check))


def test_merged_reads_the_commit_id_from_a_file(repo, run_check, ctx):
    shared, run = repo
    branch_with_greeting(run)
    top = shared.rsplit("/", 1)[0]
    run(f"git rev-parse feature/greeting > {top}/tip")
    check = merged(shared, commit={"file": f"{top}/tip"})
    no(run_check(check), "feature/greeting is not in main's history")
    run("git merge -q --no-edit feature/greeting; git push -q")
    ok(run_check(check))
    run(f"echo nonsense > {top}/tip")
    assert run_check(check).status.value == "error"  # a broken seed is the lab's problem, not the learner's


# ---- git.file -----------------------------------------------------------------------------------

def test_file_content_markers_and_lines(repo, run_check):
    shared, run = repo
    check = {"type": "git.file", "repo": shared, "rev": "main", "path": "app.py",
             "equals": 'GREETING = "Hello"\r\nPRICE = 2\n\n'}
    no(run_check(check), "app.py on main is not the expected content: line 2 is 'PRICE = 1', expected 'PRICE = 2'")
    ok(run_check({**check, "equals": 'GREETING = "Hello"  \nPRICE = 1'}))  # CR, trailing spaces, blank lines
    no(run_check({**check, "equals": None, "has_lines": ["PRICE = 3"]}), "app.py on main lacks the line 'PRICE = 3'")
    no(run_check({**check, "path": "prices.txt"}), "prices.txt is not in main")
    no(run_check({**check, "rev": "refs/tags/v1"}), "the repository has no refs/tags/v1 yet")
    run("printf '<<<<<<< HEAD\\nPRICE = 1\\n=======\\nPRICE = 2\\n>>>>>>> other\\n' > app.py; git commit -q -am Merge; git push -q")
    no(run_check(check), "app.py on main still holds conflict markers")


def test_a_missing_repository_is_a_failure_that_says_how_to_get_it_back(run_check):
    no(run_check({"type": "git.file", "repo": "/tmp/no-such-repo.git", "rev": "main", "path": "a"}),
       "there is no Git repository at /tmp/no-such-repo.git any more; labctl reset restores it")
