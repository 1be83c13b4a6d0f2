"""The Linux box's service manager, its pure parts: unit files and option classes, Exec lines, time spans, boot
order, journalctl's options (compose/images/linuxbox/*.py, imported by path: they are the box's, not labctl's)."""
from __future__ import annotations

import datetime
import importlib
import sys
from pathlib import Path

import pytest

BOX = Path(__file__).resolve().parents[2] / "compose" / "images" / "linuxbox"
sys.path.insert(0, str(BOX))
try:
    options = importlib.import_module("options")
    units = importlib.import_module("units")
    journal = importlib.import_module("journal")
    execute = importlib.import_module("execute")
    svcd = importlib.import_module("svcd")
finally:
    sys.path.remove(str(BOX))


def unit_file(tmp_path, text: str, name: str = "app.service", dropins: dict[str, str] | None = None):
    path = tmp_path / name
    path.write_text(text)
    paths = []
    for file_name, body in (dropins or {}).items():
        (tmp_path / (name + ".d")).mkdir(exist_ok=True)
        (tmp_path / (name + ".d") / file_name).write_text(body)
        paths.append(str(tmp_path / (name + ".d") / file_name))
    return units.UnitFile(name, str(path), paths)


def test_the_reference_in_the_box_and_the_docs_match_the_option_table():
    assert (BOX / "services.txt").read_text() == options.render_options()
    docs = (BOX.parents[2] / "docs" / "box-services.md").read_text()
    table = docs.split("-->\n", 1)[1].split("<!-- options:end -->")[0]
    assert table == options.render_markdown()
    assert {cls for table in options.OPTIONS.values() for cls, _ in table.values()} == {"yes", "no-effect"}


def test_refused_options_are_named_with_their_line_and_accepted_ones_are_not(tmp_path):
    unit = unit_file(tmp_path, "[Unit]\nDescription=demo\n# a comment\n[Service]\nExecStart=/bin/sleep \\\n  100\n"
                               "PrivateTmp=yes\nX-Custom=1\nDynamicUser=yes\n\n[X-Vendor]\nAnything=1\n")
    assert unit.all("ExecStart") == ["/bin/sleep  100"]
    assert unit.problems == ["app.service uses DynamicUser= ([Service], line 9), which this lab box's service manager "
                             "does not support; see the list in /usr/share/doc/labctl-box/services.txt (or "
                             "docs/box-services.md in labctl)"]


def test_a_refusal_in_a_drop_in_names_the_drop_in(tmp_path):
    unit = unit_file(tmp_path, "[Service]\nExecStart=/bin/true\n", dropins={"10-x.conf": "[Service]\n\nNice=5\n"})
    assert "uses Nice= (%s, line 3)" % unit.dropins[0] in unit.problems[0]


def test_drop_ins_reset_lists_and_override(tmp_path):
    unit = unit_file(tmp_path, "[Service]\nExecStart=/bin/one\nEnvironment=A=1\n",
                     dropins={"a.conf": "[Service]\nExecStart=\nExecStart=/bin/two\n", "b.conf": "[Service]\nEnvironment=B=2\n"})
    assert unit.all("ExecStart") == ["/bin/two"] and unit.all("Environment") == ["A=1", "B=2"]
    assert unit.errors() == []


@pytest.mark.parametrize("text, expected", [
    ("[Timer]\nOnCalendar=daily\n", "uses [Timer] ([Timer], line 1), which this lab box's service manager does not "
                                    "support: timers are not run here; use cron"),
    ("[Service]\nType=dbus\nExecStart=/bin/true\n", "uses Type=dbus ([Service], line 2)"),
    ("[Service]\nRestart=sometimes\nExecStart=/bin/true\n", "uses Restart=sometimes"),
    ("[Service]\nExecStart=/bin/a\nExecStart=/bin/b\n", "has more than one ExecStart= setting"),
    ("[Service]\nUser=x\n", "has no ExecStart= setting"),
    ("[Service]\nStandardOutput=socket\nExecStart=/bin/a\n", "uses StandardOutput=socket"),
])
def test_what_cannot_start(tmp_path, text, expected):
    assert any(expected in e for e in unit_file(tmp_path, text).errors()), unit_file(tmp_path, text).errors()


def test_oneshot_may_have_several_exec_start(tmp_path):
    assert unit_file(tmp_path, "[Service]\nType=oneshot\nExecStart=/bin/a\nExecStart=/bin/b\n").errors() == []


def test_kind_refusals():
    assert "use cron" in units.kind_refusal("apt-daily.timer")
    assert "only .service units" in units.kind_refusal("ssh.socket")
    assert "template unit" in units.kind_refusal("getty@tty1.service")
    assert units.kind_refusal("nginx") is None


def test_boot_order_follows_after_and_before(tmp_path):
    files = {
        "web.service": unit_file(tmp_path, "[Unit]\nAfter=app.service network.target\n[Service]\nExecStart=/a\n", "web.service"),
        "app.service": unit_file(tmp_path, "[Unit]\nAfter=db.service\n[Service]\nExecStart=/a\n", "app.service"),
        "db.service": unit_file(tmp_path, "[Service]\nExecStart=/a\n", "db.service"),
        "early.service": unit_file(tmp_path, "[Unit]\nBefore=db.service\n[Service]\nExecStart=/a\n", "early.service"),
    }
    assert units.boot_order(sorted(files), files) == ["early.service", "db.service", "app.service", "web.service"]
    loop = {"a.service": unit_file(tmp_path, "[Unit]\nAfter=b.service\n[Service]\nExecStart=/a\n", "a.service"),
            "b.service": unit_file(tmp_path, "[Unit]\nAfter=a.service\n[Service]\nExecStart=/a\n", "b.service")}
    assert sorted(units.boot_order(sorted(loop), loop)) == ["a.service", "b.service"]


def test_exec_lines_expand_like_systemd(tmp_path):
    unit = unit_file(tmp_path, "[Service]\nExecStart=/bin/true\n")
    env = {"OPTS": "-a  -b", "HOST": "0.0.0.0"}
    argv, flags = execute.command(unit, "-/bin/run $OPTS ${OPTS} --bind=${HOST}:$$PORT %n %N 'two words'", env, 42)
    assert argv == ["/bin/run", "-a", "-b", "-a  -b", "--bind=0.0.0.0:$PORT", "app.service", "app", "two words"]
    assert flags == {"-"}
    assert execute.command(unit, "/bin/kill -HUP $MAINPID", {}, 42)[0] == ["/bin/kill", "-HUP", "42"]
    assert execute.command(unit, ":/bin/echo $HOST", env)[0] == ["/bin/echo", "$HOST"]
    assert execute.describe_exit(-9) == ("killed", "9/KILL")
    assert execute.describe_exit(1) == ("exited", "1/FAILURE") and execute.describe_exit(42) == ("exited", "42")


def test_environment_files_read_like_systemd(tmp_path):
    env = tmp_path / "env"
    env.write_text("# comment\nPORT=8000\nexport NAME=\"quoted value\"\nEMPTY=\n; other comment\n")
    assert execute.read_environment_file(str(env)) == {"PORT": "8000", "NAME": "quoted value", "EMPTY": ""}


@pytest.mark.parametrize("text, seconds", [("100ms", 0.1), ("5", 5), ("5s", 5), ("1min 30s", 90), ("2h", 7200),
                                            ("infinity", 1e9), (None, 0.1)])
def test_time_spans(text, seconds):
    assert svcd.seconds(text, 0.1) == pytest.approx(seconds)


def test_journalctl_options():
    opts = journal.options(["-xeu", "app", "-u", "web", "-n", "20", "--no-pager", "-o", "cat", "-b"])
    assert opts["units"] == ["app", "web"] and opts["count"] == 20 and opts["output"] == "cat" and opts["boot"]
    assert journal.options(["-e", "-u", "x"])["count"] == 1000
    assert journal.options(["-fu", "x"])["follow"] and journal.options(["-fu", "x"])["count"] == 10
    assert journal.options(["--unit=x", "-n5"])["units"] == ["x"]
    for bad, message in ((["--grep", "x"], "option --grep is not available"), (["-o", "json"], "-o json is not"),
                         (["-b", "-1"], "only the current boot"), (["-n", "many"], "-n takes a number")):
        with pytest.raises(ValueError, match=message):
            journal.options(bad)


def test_journalctl_times():
    now = datetime.datetime.now().astimezone()
    assert journal.parse_time("today").hour == 0
    assert abs((now - journal.parse_time("-10min")).total_seconds() - 600) < 5
    assert abs((now - journal.parse_time("1 hour ago")).total_seconds() - 3600) < 5
    assert journal.parse_time("2026-12-01 06:00").minute == 0
    with pytest.raises(ValueError, match="Failed to parse timestamp"):
        journal.parse_time("last tuesday")


def test_journal_lines_read_back():
    entry = journal.parse("2026-12-01T06:10:00.123456+0000 box app[1234]: listening on 8000\n")
    assert journal.show(entry, "cat") == "listening on 8000"
    assert journal.show(entry).endswith(" box app[1234]: listening on 8000")
    assert journal.parse("garbage") is None


def test_conditions(tmp_path):
    def unmet(lines):
        return units.condition_failure(unit_file(tmp_path, "[Unit]\n%s\n[Service]\nExecStart=/bin/true\n" % lines))
    assert unmet("ConditionVirtualization=!container") == "ConditionVirtualization=!container"
    assert unmet("ConditionVirtualization=container") is None
    assert unmet("ConditionPathExists=!%s" % tmp_path) == "ConditionPathExists=!%s" % tmp_path
    assert unmet("ConditionPathExists=%s\nConditionPathIsDirectory=%s" % (tmp_path, tmp_path)) is None
    assert unmet("ConditionFileNotEmpty=%s/none" % tmp_path).startswith("ConditionFileNotEmpty=")
