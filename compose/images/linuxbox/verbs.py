"""systemctl's verbs, answered by the service manager: each returns (exit code, stdout text, stderr text)."""
import signal
import time

import enable as enabling
from options import DOC
from units import CHANGED, LOCAL_DIRS, all_units, canonical, enablement, kind_refusal, load, matches, unit_name

MUTATING = {"start", "stop", "restart", "try-restart", "reload-or-restart", "try-reload-or-restart", "reload",
            "condrestart", "force-reload", "enable", "disable", "reenable", "daemon-reload", "daemon-reexec",
            "reset-failed", "kill", "mask", "unmask", "reboot", "poweroff", "halt"}
NEEDS_UNITS = MUTATING - {"daemon-reload", "daemon-reexec", "reset-failed", "reboot", "poweroff", "halt"} | {
    "is-active", "is-enabled", "is-failed", "cat"}
VALUED = {"-p": "property", "--property": "property", "-t": "type", "--type": "type", "--state": "state",
          "-s": "signal", "--signal": "signal", "-n": "lines", "--lines": "lines", "-o": "output", "--output": "output",
          "--kill-whom": "kill-whom", "--job-mode": "job-mode"}
BOOLEAN = {"--now", "--all", "-a", "--value", "--failed", "--no-pager", "--no-legend", "--plain", "-l", "--full",
           "-q", "--quiet", "--no-block", "--no-ask-password", "--system", "--force", "-f", "--no-reload", "-r",
           "--show-types", "--no-warn"}


def parse(args):
    """(verb, units, options) from systemctl's arguments; raises ValueError for an option this box does not have."""
    words, opts = [], {"property": []}
    args = list(args)
    while args:
        a = args.pop(0)
        key, value = (a.split("=", 1) + [None])[:2] if a.startswith("--") else (a, None)
        if a.startswith("-") and not a.startswith("--") and len(a) > 2 and a[:2] in VALUED:
            key, value = a[:2], a[2:]
        if key in VALUED:
            if value is None:
                if not args:
                    raise ValueError("systemctl: option '%s' requires an argument\n" % key)
                value = args.pop(0)
            if VALUED[key] == "property":
                opts["property"] += [p for p in value.split(",") if p]
            else:
                opts[VALUED[key]] = value
        elif key in BOOLEAN:
            opts[key.lstrip("-")] = True
        elif key == "--user":
            raise ValueError("systemctl --user is not available in this lab box: there is no per-user service manager. "
                             "Write a system unit in /etc/systemd/system/ with User=NAME and run `sudo systemctl ...`.\n")
        elif a.startswith("-") and a != "-":
            raise ValueError("systemctl: option %s is not available in this lab box's systemctl; %s\n" % (a, DOC))
        else:
            words.append(a)
    for short, full in (("a", "all"), ("q", "quiet"), ("l", "full"), ("f", "force")):
        opts[full] = opts.get(full) or opts.get(short, False)
    if opts.get("failed"):
        opts["state"] = "failed"
    verb = words[0] if words else "list-units"
    return verb, words[1:], opts


def answer_request(sup, request, uid):
    try:
        verb, names, opts = parse(request["args"])
    except ValueError as exc:
        return 1, "", str(exc)
    if verb in MUTATING and uid != 0:
        first = unit_name(names[0]) if names else ""
        return 1, "", ("Failed to %s %s: Access denied: changing services needs root.\nRun it with sudo: sudo systemctl %s\n"
                       "(Interactive authentication required.)\n" % (verb, first, " ".join(request["args"])))
    if verb in NEEDS_UNITS and not names:
        return 1, "", "Too few arguments.\n"
    handler = VERBS.get(verb)
    if handler is None:
        return 1, "", "Unknown command verb '%s' (this lab box's systemctl: %s).\n" % (verb, ", ".join(sorted(VERBS)))
    return handler(sup, names, opts)


def each(sup, names, opts, action, stop_on_error=False):
    """Run action(name) -> (code, out, err) for every unit named; the first non-zero code is the result."""
    code, out, err = 0, "", ""
    for name in names:
        refused = kind_refusal(name)
        if refused:
            c, o, e = 1, "", refused + "\n"
        else:
            c, o, e = action(canonical(name))
        code, out, err = code or c, out + o, err + e
    return code, out, err


def warn_changed(sup, name):
    svc = sup.services.get(canonical(name))
    return CHANGED % canonical(name) if svc and svc.file and svc.file.changed() else ""


def start(sup, names, opts):
    def one(name):
        warning = warn_changed(sup, name)
        code, err = sup.start(name)
        return code, "", warning + err
    return each(sup, names, opts, one)


def stop(sup, names, opts):
    def one(name):
        warning = warn_changed(sup, name)
        code, err = sup.stop(name)
        return code, "", warning + err
    return each(sup, names, opts, one)


def restart(sup, names, opts, only_active=False, reload_if_can=False):
    def one(name):
        svc = sup.service(name)
        if only_active and svc.state not in ("active", "reloading"):
            return 0, "", ""
        if reload_if_can and svc.state == "active" and svc.file and svc.file.all("ExecReload"):
            return reload(sup, [name], opts)
        warning = warn_changed(sup, name)
        if svc.state not in ("inactive", "failed"):
            c, e = sup.stop(name)
            if c:
                return c, "", warning + e
        code, err = sup.start(name, keep=True)
        return code, "", warning + err
    return each(sup, names, opts, one)


def reload(sup, names, opts):
    def one(name):
        svc = sup.service(name)
        if svc.state != "active":
            return 1, "", "Failed to reload %s: Unit %s is not active.\n" % (name, name) if sup.loaded(svc) else \
                "Failed to reload %s: Unit %s not found.\n" % (name, name)
        if not svc.file.all("ExecReload"):
            return 1, "", "Failed to reload %s: Job type reload is not applicable for unit %s.\n" % (name, name)
        warning = warn_changed(sup, name)
        with svc.job:
            from execute import environment
            svc.set("reloading", "reload")
            sup.log(svc, "Reloading %s - %s..." % (name, svc.desc))
            ok = sup.run(svc, "ExecReload", environment(svc.file), timeout=30)
            svc.set("active", "running")
            sup.log(svc, ("Reloaded %s - %s." if ok else "%s: Reload failed (%s).") % (name, svc.desc))
        time.sleep(0.3)  # daemons re-read their configuration just after the signal (sshd re-executes itself)
        if not ok:
            return 1, "", warning + 'Job for %s failed.\nSee "systemctl status %s" and "journalctl -xeu %s" for details.\n' % (
                name, name, name)
        return 0, "", warning
    return each(sup, names, opts, one)


def kill(sup, names, opts):
    sig = opts.get("signal", "SIGTERM").upper()
    number = int(sig) if sig.isdigit() else getattr(signal, sig if sig.startswith("SIG") else "SIG" + sig, None)
    if number is None:
        return 1, "", "Failed to parse signal string %s.\n" % sig

    def one(name):
        svc = sup.service(name)
        if svc.state not in ("active", "reloading", "activating") or not svc.main_pid:
            return 1, "", "Failed to kill unit %s: Unit %s is not loaded or not running.\n" % (name, name)
        pids = {svc.main_pid} if opts.get("kill-whom") == "main" else sup.unit_pids(svc)
        sup.kill(svc, pids, number)
        return 0, "", ""
    return each(sup, names, opts, one)


def daemon_reload(sup, names, opts):
    sup.daemon_reload()
    problems = []
    for name in sorted(set(all_units(LOCAL_DIRS)) | {n for n, s in sup.services.items() if s.file}):
        unit = load(name)
        if unit is not None:
            problems += unit.errors()
    return 0, "", "".join(p + "\n" for p in problems)


def reset_failed(sup, names, opts):
    targets = [canonical(n) for n in names] or list(sup.services)
    for name in targets:
        svc = sup.service(name)
        svc.starts, svc.n_restarts = [], 0
        if svc.state == "failed":
            svc.set("inactive", "dead", "success")
    return 0, "", ""


def is_active(sup, names, opts, failed=False):
    code, out = (1 if failed else 3), ""
    for name in names:
        svc = sup.services.get(canonical(name))
        state = svc.state if svc else "inactive"
        out += state + "\n"
        if state == ("failed" if failed else "active") or (not failed and state == "reloading"):
            code = 0
    return code, "" if opts.get("quiet") else out, ""


def is_enabled(sup, names, opts):
    code, out, err = 1, "", ""
    for name in names:
        state = enablement(name)
        if state is None:
            err += "Failed to get unit file state for %s: No such file or directory\n" % unit_name(name)
            continue
        out += state + "\n"
        if state in ("enabled", "static", "alias"):
            code = 0
    return code, "" if opts.get("quiet") else out, err


def cat(sup, names, opts):
    def one(name):
        unit = load(name)
        if unit is None:
            return 1, "", "No files found for %s.\n" % name
        text = ""
        for path in [unit.path, *unit.dropins]:
            with open(path, errors="replace") as f:
                text += ("\n" if text else "") + "# %s\n" % path + f.read()
        return 0, text, warn_changed(sup, name)
    return each(sup, names, opts, one)


def refuse(message):
    return lambda sup, names, opts: (1, "", message)


def system_running(sup, names, opts):
    state = "running" if sup.booted and not any(s.state == "failed" for s in sup.services.values()) else \
        ("degraded" if sup.booted else "starting")
    return (0 if state == "running" else 1), ("" if opts.get("quiet") else state + "\n"), ""


def names_matching(sup, patterns):
    known = sorted(set(all_units()) | set(sup.services))
    return [n for n in known if not patterns or any(matches(p, n) for p in patterns)]


from status import list_unit_files, list_units, show, status  # noqa: E402  (status.py uses the helpers above)

VERBS = {
    "start": start, "stop": stop, "restart": restart, "reload": reload, "kill": kill,
    "try-restart": lambda s, n, o: restart(s, n, o, only_active=True),
    "condrestart": lambda s, n, o: restart(s, n, o, only_active=True),
    "reload-or-restart": lambda s, n, o: restart(s, n, o, reload_if_can=True),
    "force-reload": lambda s, n, o: restart(s, n, o, reload_if_can=True),
    "try-reload-or-restart": lambda s, n, o: restart(s, n, o, only_active=True, reload_if_can=True),
    "enable": lambda s, n, o: enabling.enable(s, n, o, True, start),
    "disable": lambda s, n, o: enabling.enable(s, n, o, False, stop),
    "reenable": lambda s, n, o: enabling.reenable(s, n, o),
    "daemon-reload": daemon_reload, "daemon-reexec": daemon_reload, "reset-failed": reset_failed,
    "is-active": is_active, "is-failed": lambda s, n, o: is_active(s, n, o, failed=True), "is-enabled": is_enabled,
    # cat: systemctl.py reads the files itself (with the caller's permissions); this one serves other options.
    "is-system-running": system_running, "cat": cat, "status": status, "show": show,
    "list-units": list_units, "list-unit-files": list_unit_files,
    "mask": refuse("systemctl mask is not available in this lab box; use `sudo systemctl disable --now NAME`.\n"),
    "unmask": refuse("systemctl unmask is not available in this lab box (units cannot be masked here).\n"),
    "edit": refuse("systemctl edit is not available in this lab box: write the unit file (or a drop-in in "
                   "/etc/systemd/system/NAME.service.d/override.conf) with an editor, then `sudo systemctl daemon-reload`.\n"),
    "reboot": refuse("The box cannot reboot itself: it is a container. A lab's check reboots it (restarts its "
                     "container), or run `labctl stop` then `labctl start` on your computer.\n"),
    "poweroff": refuse("The box cannot power itself off: it is a container; run `labctl stop` on your computer.\n"),
    "halt": refuse("The box cannot halt itself: it is a container; run `labctl stop` on your computer.\n"),
}
