"""Live tests of linux.answers: a learner's KEY=VALUE answers against the truth seen from outside a real box (a
file's line, the port a process listens on, the biggest folder by du)."""
from __future__ import annotations

import pytest

from tests.live.box import SERVICE, box_context, check_runner, running_box

pytestmark = pytest.mark.live
ANSWERS = {
    "request": {"from_file": "/var/log/t/app.log", "pattern": r"^\S+ ERROR id=(\S+)", "near_pattern": r"id=(\S+)",
                "missing": "grep the log", "wrong": "is not the ERROR's id", "near": "is another line's id"},
    "port": {"port_of": r"http\.server \d+ --bind 127\.0\.0\.1 --directory /tmp/inventory$", "missing": "use ss",
             "wrong": "is not the inventory's port"},
    "biggest": {"largest_in": "/srv/t", "missing": "use du", "wrong": "is not the biggest"},
}


@pytest.fixture(scope="module")
def box(engine, tmp_path_factory):
    with running_box(tmp_path_factory, "answers") as (manager, name), box_context((manager, name)) as context:
        code, out = context.exec(SERVICE, ["bash", "-c", """
            set -e
            mkdir -p /var/log/t /srv/t/small /srv/t/many /srv/t/big
            printf 'a INFO id=r1\\nb WARN id=r2\\nc ERROR id=r3\\nd INFO id=r4\\n' > /var/log/t/app.log
            head -c 3M /dev/urandom > /srv/t/big/f
            for i in $(seq 1 40); do echo $i > /srv/t/many/$i; done
            mkdir -p /tmp/inventory /tmp/cache
            (setsid python3 -m http.server 23456 --bind 127.0.0.1 --directory /tmp/inventory >/dev/null 2>&1 &)
            (setsid python3 -m http.server 23457 --bind 127.0.0.1 --directory /tmp/cache >/dev/null 2>&1 &)
            for i in $(seq 50); do ss -Hltn | grep -q :23457 && ss -Hltn | grep -q :23456 && exit 0; sleep 0.1; done
            exit 1
        """], None)
        assert code == 0, out
        yield manager, name, context


def answer(box, text: str, **changes):
    _, _, ctx = box
    code, out = ctx.exec(SERVICE, ["bash", "-c", 'printf "%s" "$1" > /home/learner/answers.txt', "x", text], "learner")
    assert code == 0, out
    answers = {key: dict(value, **changes.get(key, {})) for key, value in ANSWERS.items()}
    return check_runner(ctx)({"type": "linux.answers", "file": "/home/learner/answers.txt", "answers": answers})


def test_right_answers_in_any_spelling_pass(box):
    result = answer(box, "request=r3\nport=23456\nbiggest=big\n")
    assert result.status.value == "passed", result.message
    result = answer(box, "biggest = /srv/t/big/\r\nport: 23456\r\nrequest='r3'\r\n")
    assert result.status.value == "passed", result.message


def test_wrong_near_and_missing_answers_are_each_said(box):
    result = answer(box, "request=r2\nport=23457\nbiggest=many\n")
    assert result.status.value == "failed"
    assert "request=r2 is another line's id" in result.message
    assert "port=23457 is not the inventory's port" in result.message
    assert "biggest=many is not the biggest" in result.message
    result = answer(box, "request=r9\n")
    assert "request=r9 is not the ERROR's id" in result.message
    assert "has no line port=...: use ss" in result.message and "has no line biggest=...: use du" in result.message


def test_no_answers_file_and_a_stopped_process_fail(box):
    _, _, ctx = box
    ctx.exec(SERVICE, ["rm", "-f", "/home/learner/answers.txt"], None)
    result = check_runner(ctx)({"type": "linux.answers", "file": "/home/learner/answers.txt", "answers": ANSWERS})
    assert result.status.value == "failed" and "there is no /home/learner/answers.txt yet" in result.message
    result = answer(box, "request=r3\nport=23456\nbiggest=big\n", port={"port_of": "no-such-process"})
    assert result.status.value == "failed" and "no process the answer port asks about listens now" in result.message


def test_a_replaced_ss_and_du_do_not_answer(box):
    # The learner is root in the box: programs that lie there do not change what is seen from outside.
    _, _, ctx = box
    code, out = ctx.exec(SERVICE, ["bash", "-c", "printf '#!/bin/sh\\necho 1 /srv/t/small\\n' > /usr/local/bin/du; "
                                   "cp /usr/local/bin/du /usr/local/bin/ss; chmod 755 /usr/local/bin/du /usr/local/bin/ss"], None)
    assert code == 0, out
    try:
        result = answer(box, "request=r3\nport=23456\nbiggest=big\n")
        assert result.status.value == "passed", result.message
    finally:
        ctx.exec(SERVICE, ["rm", "-f", "/usr/local/bin/du", "/usr/local/bin/ss"], None)
