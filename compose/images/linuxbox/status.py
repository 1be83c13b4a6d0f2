"""What systemctl shows: status, show, list-units, list-unit-files, in systemd's layout."""
import os
import time

import journal
from units import CHANGED, all_units, canonical, enablement, kind_refusal, load, matches

DOTS = {"active": "●", "reloading": "●", "failed": "×", "activating": "●", "deactivating": "●"}


def ago(t):
    s = int(time.time() - t)
    if s < 60:
        return "%ds ago" % s
    if s < 3600:
        return "%dmin %ds ago" % (s // 60, s % 60)
    return "%dh %dmin ago" % (s // 3600, s % 3600 // 60)


def when(t):
    return time.strftime("%a %Y-%m-%d %H:%M:%S %Z", time.localtime(t))


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return "?"


def view(sup, name):
    """(Service or None, UnitFile or None) as status and show see them; the unit is loaded on demand."""
    svc = sup.services.get(name)
    unit = sup.loaded(svc) if svc else load(name)
    if svc is None and unit is not None:
        svc = sup.service(name)
        svc.file = unit
    return svc, unit


def load_state(unit, svc):
    if unit is None:
        return "not-found"
    return "bad-setting" if unit.errors() else "loaded"


def status(sup, names, opts):
    if not names:
        booted = "running" if sup.booted else "starting"
        return 0, "● %s\n    State: %s\n    Units: %d loaded\n" % (os.uname().nodename, booted, len(sup.services)), ""
    code, out, err = 0, "", ""
    for name in names:
        refused = kind_refusal(name)
        if refused:
            code, err = code or 4, err + refused + "\n"
            continue
        c, o, e = status_one(sup, canonical(name), opts)
        code, out, err = code or c, out + ("\n" if out else "") + o, err + e
    return code, out, err


def status_one(sup, name, opts):
    svc, unit = view(sup, name)
    if unit is None and (svc is None or svc.state == "inactive"):
        return 4, "", "Unit %s could not be found.\n" % name
    state = svc.state
    lines = ["%s %s - %s" % (DOTS.get(state, "○"), name, svc.desc)]
    enabled = enablement(name) or "disabled"
    if unit is None:
        lines.append("     Loaded: not-found (Reason: Unit %s not found.)" % name)
    elif unit.errors():
        lines.append("     Loaded: bad-setting (Reason: Unit %s has a bad unit file setting.)" % name)
    else:
        lines.append("     Loaded: loaded (%s; %s; preset: enabled)" % (unit.path, enabled))
        if unit.dropins:
            lines.append("    Drop-In: " + "\n             ".join(unit.dropins))
    since = "since %s; %s" % (when(svc.since), ago(svc.since))
    if state == "failed":
        lines.append("     Active: failed (Result: %s) %s" % (svc.result, since))
    elif state == "inactive":
        lines.append("     Active: inactive (dead)" + (" " + since if svc.processes or svc.main_exit else ""))
    elif state == "activating" and svc.sub == "auto-restart":
        lines.append("     Active: activating (auto-restart) (Result: %s) %s" % (svc.result, since))
    else:
        lines.append("     Active: %s (%s) %s" % (state, svc.sub, since))
    if svc.condition and state == "inactive":
        lines.append("  Condition: start condition failed at %s; %s" % (when(svc.since), ago(svc.since)))
        lines.append("             └─ %s was not met" % svc.condition)
    docs = unit.all("Documentation", "Unit") if unit else []
    if docs:
        lines.append("       Docs: " + "\n             ".join(" ".join(docs).split()))
    for pid, what, how in svc.processes:
        if not what.startswith("ExecStart=") or svc.main_exit is None or pid != svc.main_exit[0]:
            lines.append("    Process: %s%s (%s)" % ("%d " % pid if pid else "", what, how))
    if svc.main_exit and state != "active":
        pid, how = svc.main_exit
        lines.append("    Process: %sExecStart=%s (%s)" % ("%d " % pid if pid else "", svc.exec_start, how))
        if pid:
            lines.append("   Main PID: %d (%s)" % (pid, how))
    elif svc.main_pid and state in ("active", "reloading", "deactivating"):
        pids = sorted(sup.unit_pids(svc))
        lines.append("   Main PID: %d (%s)" % (svc.main_pid, comm(svc.main_pid)))
        lines.append("      Tasks: %d" % len(pids))
        lines.append("     CGroup: /system.slice/%s   (no cgroups here: the unit's sessions and their children)" % name)
        for i, pid in enumerate(pids):
            lines.append("             %s─%d %s" % ("└" if i == len(pids) - 1 else "├", pid, cmdline(pid)))
    count = int(opts.get("lines", 10))
    if unit is not None and unit.errors():
        lines += [""] + unit.errors()
    log = journal.tail(name, count)
    if log:
        lines += [""] + log
    warning = CHANGED % name if svc.file and svc.file.changed() else ""
    code = 0 if state in ("active", "reloading") else 3
    return code, "\n".join(lines) + "\n", warning


# systemctl show's properties, from the run-time state and the unit file.
def properties(sup, name):
    svc, unit = view(sup, name)
    svc = svc or sup.service(name)
    get = (lambda k, d="", s="Service": unit.get(k, d, s)) if unit else (lambda k, d="", s="Service": d)
    main_code, main_status = "0", "0"
    if svc.main_exit:
        how = svc.main_exit[1]
        main_code = "1" if "code=exited" in how else "2"
        main_status = how.split("status=")[1].split("/")[0]
    restart_sec = get("RestartSec", "100ms")
    return {
        "Type": get("Type", "simple"), "Restart": get("Restart", "no"),
        "RestartUSec": restart_sec if " " not in restart_sec else restart_sec.replace(" ", ""),
        "PIDFile": get("PIDFile"), "NRestarts": str(svc.n_restarts),
        "ExecMainPID": str(svc.main_pid or (svc.main_exit[0] if svc.main_exit else 0)),
        "ExecMainCode": main_code, "ExecMainStatus": main_status, "MainPID": str(svc.main_pid if svc.state in (
            "active", "reloading", "deactivating") else 0),
        "Result": svc.result, "User": get("User"), "Group": get("Group"),
        "WorkingDirectory": get("WorkingDirectory", "!/"), "KillMode": get("KillMode", "control-group"),
        "Id": name, "Names": name, "Description": svc.desc, "LoadState": load_state(unit, svc),
        "ActiveState": svc.state, "SubState": svc.sub, "FragmentPath": unit.path if unit else "",
        "DropInPaths": " ".join(unit.dropins) if unit else "", "UnitFileState": enablement(name) or "",
        "UnitFilePreset": "enabled", "StateChangeTimestamp": when(svc.since),
        "ActiveEnterTimestamp": when(svc.since) if svc.state == "active" else "",
        "InactiveEnterTimestamp": when(svc.since) if svc.state in ("inactive", "failed") else "",
        "NeedDaemonReload": "yes" if svc.file and svc.file.changed() else "no",
        "After": " ".join(unit.all("After", "Unit")) if unit else "",
        "WantedBy": " ".join(unit.all("WantedBy", "Install")) if unit else "",
    }


def show(sup, names, opts):
    wanted = opts.get("property") or []
    out = ""
    if not names:
        facts = {"Version": "labctl-box", "SystemState": "running" if sup.booted else "starting",
                 "NNames": str(len(sup.services))}
        names_facts = [facts]
    else:
        names_facts = []
        for n in names:
            refused = kind_refusal(n)
            if refused:
                return 1, "", refused + "\n"
            names_facts.append(properties(sup, canonical(n)))
    for i, facts in enumerate(names_facts):
        keys = wanted or list(facts)
        block = ""
        for key in keys:
            if key not in facts:
                if wanted and not opts.get("all"):
                    continue
            value = facts.get(key, "")
            if not value and not wanted and not opts.get("all"):
                continue
            block += (value + "\n") if opts.get("value") else "%s=%s\n" % (key, value)
        out += ("\n" if i and not opts.get("value") else "") + block
    return 0, out, ""


def list_units(sup, names, opts):
    state_filter = [s for s in opts.get("state", "").split(",") if s]
    rows = []
    for name in sorted(set(all_units()) | set(sup.services)):
        if names and not any(matches(p, name) for p in names):
            continue
        svc = sup.services.get(name)
        state, sub = (svc.state, svc.sub) if svc else ("inactive", "dead")
        if state_filter and state not in state_filter and sub not in state_filter:
            continue
        if not state_filter and not opts.get("all") and not names and state == "inactive":
            continue
        unit = svc.file if svc and svc.file else load(name)
        desc = unit.description if unit else name
        rows.append(("●" if state == "failed" else " ", name, load_state(unit, svc), state, sub, desc))
    legend = not opts.get("no-legend")
    text = ("  %-34s %-11s %-8s %-9s %s\n" % ("UNIT", "LOAD", "ACTIVE", "SUB", "DESCRIPTION")) if legend else ""
    text += "".join("%s %-34s %-11s %-8s %-9s %s\n" % r for r in rows)
    if legend:
        text += ("\nLOAD   = Reflects whether the unit definition was properly loaded.\nACTIVE = The high-level unit "
                 "activation state, i.e. generalization of SUB.\nSUB    = The low-level unit activation state, values "
                 "depend on unit type.\n%d loaded units listed.%s\n") % (
            len(rows), "" if opts.get("all") else " Pass --all to see loaded but inactive units, too.")
    return 0, text, ""


def list_unit_files(sup, names, opts):
    rows = [(n, enablement(n) or "bad") for n in all_units() if not names or any(matches(p, n) for p in names)]
    legend = not opts.get("no-legend")
    text = ("%-40s %-15s %s\n" % ("UNIT FILE", "STATE", "PRESET")) if legend else ""
    text += "".join("%-40s %-15s %s\n" % (n, s, "enabled") for n, s in rows)
    if legend:
        text += "\n%d unit files listed.\n" % len(rows)
    return 0, text, ""

