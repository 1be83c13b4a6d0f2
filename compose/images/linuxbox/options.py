"""The unit options labctl's service manager knows, in three classes, and the reference texts made from them
(/usr/share/doc/labctl-box/services.txt in the box, the table in docs/box-services.md)."""

DOC = "/usr/share/doc/labctl-box/services.txt"
SEE = "see the list in %s (or docs/box-services.md in labctl)" % DOC
UNIT_DIRS = ("/etc/systemd/system", "/etc/labctl/services", "/lib/systemd/system", "/usr/lib/systemd/system")

# Every option this service manager knows, in three classes: "yes" (honoured), "no-effect" (accepted; why it has
# none here), and by omission everything else, which is refused with the file and line it is on.
OPTIONS = {
    "Unit": {
        "Description": ("yes", "shown by status and in the log"),
        "Documentation": ("yes", "shown by status"),
        "After": ("yes", "orders the start of enabled units at boot"),
        "Before": ("yes", "orders the start of enabled units at boot"),
        "ConditionPathExists": ("yes", "skips the start when unmet (a leading ! negates)"),
        "ConditionPathIsDirectory": ("yes", "skips the start when unmet"),
        "ConditionFileIsExecutable": ("yes", "skips the start when unmet"),
        "ConditionFileNotEmpty": ("yes", "skips the start when unmet"),
        "ConditionDirectoryNotEmpty": ("yes", "skips the start when unmet"),
        "ConditionVirtualization": ("yes", "the box is a container (docker): yes, container and docker are met"),
        "StartLimitIntervalSec": ("yes", "default 10s"),
        "StartLimitBurst": ("yes", "default 5"),
        "Wants": ("no-effect", "other units are not pulled in: enable or start each unit you need"),
        "Requires": ("no-effect", "other units are not pulled in: enable or start each unit you need"),
        "Requisite": ("no-effect", "other units are not checked: enable or start each unit you need"),
        "DefaultDependencies": ("no-effect", "there are no targets or shutdown ordering in one container"),
    },
    "Service": {
        "Type": ("yes", "simple, exec, forking, oneshot, notify (run as simple: no readiness message is awaited), idle (as simple)"),
        "ExecStart": ("yes", "prefixes - @ + ! :, $VAR and ${VAR}, %n %N %p %i %u %h %t %S %C %L %H %%"),
        "ExecStartPre": ("yes", "a failing one (without -) fails the unit; ExecStart does not run"),
        "ExecStartPost": ("yes", "run after the main process started"),
        "ExecReload": ("yes", "$MAINPID is set"),
        "ExecStop": ("yes", "$MAINPID is set; then the remaining processes get KillSignal="),
        "ExecStopPost": ("yes", "run after the unit stopped or failed"),
        "Restart": ("yes", "no, on-success, on-failure, on-abnormal, on-abort, always"),
        "RestartSec": ("yes", "default 100ms"),
        "RestartPreventExitStatus": ("yes", "exit codes that never restart"),
        "SuccessExitStatus": ("yes", "exit codes counted as clean"),
        "RemainAfterExit": ("yes", "for Type=oneshot"),
        "User": ("yes", "with the user's supplementary groups"),
        "Group": ("yes", ""),
        "SupplementaryGroups": ("yes", ""),
        "WorkingDirectory": ("yes", "~ is the user's home; a leading - allows it to be missing"),
        "Environment": ("yes", ""),
        "EnvironmentFile": ("yes", "a leading - allows it to be missing"),
        "UMask": ("yes", ""),
        "PIDFile": ("yes", "for Type=forking"),
        "KillMode": ("yes", "control-group (the unit's sessions: see below), mixed, process, none"),
        "KillSignal": ("yes", "default SIGTERM"),
        "SendSIGKILL": ("yes", ""),
        "TimeoutStopSec": ("yes", "default 10s here"),
        "TimeoutSec": ("yes", "as TimeoutStopSec"),
        "RuntimeDirectory": ("yes", "made under /run, owned by User="),
        "StateDirectory": ("yes", "made under /var/lib, owned by User="),
        "LogsDirectory": ("yes", "made under /var/log, owned by User="),
        "CacheDirectory": ("yes", "made under /var/cache, owned by User="),
        "ConfigurationDirectory": ("yes", "made under /etc"),
        "RuntimeDirectoryMode": ("yes", ""),
        "StandardOutput": ("yes", "journal, inherit, null, file:PATH, append:PATH, truncate:PATH"),
        "StandardError": ("yes", "journal, inherit, null, file:PATH, append:PATH, truncate:PATH"),
        "StandardInput": ("yes", "null only"),
        "SyslogIdentifier": ("yes", "the name in the unit's log lines"),
        "TimeoutStartSec": ("no-effect", "a start is not timed out here (ExecStartPre= gets 90s)"),
        "GuessMainPID": ("no-effect", "the main process is the one ExecStart= started, or PIDFile="),
        "NotifyAccess": ("no-effect", "Type=notify runs as Type=simple"),
        "WatchdogSec": ("no-effect", "no watchdog messages are awaited"),
        "IgnoreSIGPIPE": ("no-effect", "commands start with SIGPIPE at its default"),
        "PrivateTmp": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "PrivateDevices": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "PrivateNetwork": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "PrivateUsers": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectSystem": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectHome": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectKernelTunables": ("no-effect", "the container already cannot change them"),
        "ProtectKernelModules": ("no-effect", "the container already cannot load modules"),
        "ProtectKernelLogs": ("no-effect", "the container already cannot read them"),
        "ProtectControlGroups": ("no-effect", "the container already cannot change them"),
        "ProtectClock": ("no-effect", "the container already cannot set the clock"),
        "ProtectHostname": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProtectProc": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ProcSubset": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ReadWritePaths": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "ReadOnlyPaths": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "InaccessiblePaths": ("no-effect", "sandboxing needs namespaces a lab container cannot make"),
        "NoNewPrivileges": ("no-effect", "hardening systemd applies with seccomp and prctl; not applied here"),
        "RestrictNamespaces": ("no-effect", "hardening: the container already cannot make namespaces"),
        "RestrictRealtime": ("no-effect", "hardening: not applied here"),
        "RestrictSUIDSGID": ("no-effect", "hardening: not applied here"),
        "RestrictAddressFamilies": ("no-effect", "hardening: not applied here"),
        "LockPersonality": ("no-effect", "hardening: not applied here"),
        "MemoryDenyWriteExecute": ("no-effect", "hardening: not applied here"),
        "SystemCallFilter": ("no-effect", "hardening: not applied here"),
        "SystemCallArchitectures": ("no-effect", "hardening: not applied here"),
        "CapabilityBoundingSet": ("no-effect", "the container's own capability set already bounds every process"),
        "AmbientCapabilities": ("no-effect", "any user may bind ports below 1024 in this container already"),
        "RemoveIPC": ("no-effect", "hardening: not applied here"),
        "LimitNOFILE": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "LimitNPROC": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "LimitCORE": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "TasksMax": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "MemoryMax": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "MemoryHigh": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "CPUQuota": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "OOMScoreAdjust": ("no-effect", "resource limits are the container's (labctl sets them)"),
        "Slice": ("no-effect", "there are no cgroups per unit here"),
        "Delegate": ("no-effect", "there are no cgroups per unit here"),
    },
    "Install": {
        "WantedBy": ("yes", "enable links the unit into TARGET.wants; multi-user.target, default.target and "
                            "graphical.target start at boot"),
        "RequiredBy": ("yes", "as WantedBy=, in TARGET.requires"),
        "Alias": ("yes", "enable links the other name to the unit"),
        "Also": ("yes", "enable and disable act on those units too"),
    },
}
TYPES = ("simple", "exec", "forking", "oneshot", "notify", "idle")
RESTARTS = ("no", "on-success", "on-failure", "on-abnormal", "on-abort", "on-watchdog", "always")


def render_options():
    """The reference text installed in the box as services.txt (tests check the copy matches)."""
    lines = ["labctl box services: the unit options its service manager knows", "",
             "Unit files are read from, in this order (the first wins): " + ", ".join(UNIT_DIRS) + ".",
             "Drop-ins: /etc/systemd/system/NAME.service.d/*.conf. Only .service units run here.", ""]
    for kind, title in (("yes", "Supported (honoured)"), ("no-effect", "Accepted, without effect in this box")):
        lines.append(title + ":")
        for section, options in OPTIONS.items():
            for key, (cls, note) in options.items():
                if cls == kind:
                    lines.append("  [%s] %s=%s" % (section, key, "  " + note if note else ""))
        lines.append("")
    lines += ["Anything else is refused: systemctl start, enable, status and daemon-reload name the option and its line.",
              "Timers ([Timer], .timer units): use cron (crontab -e, /etc/cron.d/), which the box runs.", ""]
    return "\n".join(lines)


def render_markdown():
    """The option table of docs/box-services.md (tests check the docs carry exactly this)."""
    rows = ["| Section | Option | Here | Notes |", "|---|---|---|---|"]
    for section, options in OPTIONS.items():
        for key, (cls, note) in options.items():
            rows.append("| [%s] | `%s=` | %s | %s |" % (section, key, "supported" if cls == "yes" else "no effect",
                                                     note.replace("|", "\\|")))
    return "\n".join(rows) + "\n"




if __name__ == "__main__":
    import sys
    print(render_markdown() if sys.argv[1:] == ["--markdown"] else render_options(), end="")
