"""systemctl enable/disable: the links in /etc/systemd/system that make a unit start at boot, as systemd makes them."""
import os

from units import ETC, canonical, kind_refusal, load, wants_links

NO_INSTALL = ("The unit files have no installation config (WantedBy=, RequiredBy=, Also=,\nAlias= settings in the "
              "[Install] section, and DefaultInstance= for template\nunits). This means they are not meant to be "
              "enabled or disabled using systemctl.\n \nPossible reasons for having this kind of units are:\n"
              "• A unit may be statically enabled by being symlinked from another unit's\n  .wants/ or .requires/ "
              "directory.\n(In this lab box: add\n[Install]\nWantedBy=multi-user.target\nto %s, then run it again.)\n")


def links_of(unit):
    """[(link path, target)] that enabling unit makes."""
    out = []
    for key, kind in (("WantedBy", ".wants"), ("RequiredBy", ".requires")):
        for target in " ".join(unit.all(key, "Install")).split():
            out.append((os.path.join(ETC, target + kind, unit.name), unit.path))
    for alias in " ".join(unit.all("Alias", "Install")).split():
        out.append((os.path.join(ETC, alias), unit.path))
    return out


def enable_one(name, on, seen):
    """(code, stderr text) of enabling or disabling one unit and its Also= units."""
    if name in seen:
        return 0, ""
    seen.add(name)
    refused = kind_refusal(name)
    if refused:
        return 1, refused + "\n"
    unit = load(name)
    verb = "enable" if on else "disable"
    if unit is None:
        return 1, "Failed to %s unit: Unit file %s does not exist.\n" % (verb, canonical(name))
    errors = unit.errors() if on else []
    if errors:
        return 1, "Failed to enable unit: Unit %s has a bad unit file setting.\n%s\n" % (unit.name, "\n".join(errors))
    err, code = "", 0
    if on:
        links = links_of(unit)
        if not links and not unit.all("Also", "Install"):
            return 0, NO_INSTALL % unit.path
        for link, target in links:
            if os.path.lexists(link):
                if os.path.realpath(link) == os.path.realpath(target):
                    continue
                os.unlink(link)
            os.makedirs(os.path.dirname(link), exist_ok=True)
            os.symlink(target, link)
            err += "Created symlink %s → %s.\n" % (link, target)
    else:
        aliases = [link for link, _ in links_of(unit) if not os.path.dirname(link).endswith((".wants", ".requires"))]
        for link in wants_links(unit.name) + [a for a in aliases if os.path.islink(a)]:
            os.unlink(link)
            err += "Removed \"%s\".\n" % link
    for other in " ".join(unit.all("Also", "Install")).split():
        c, e = enable_one(other, on, seen)
        code, err = code or c, err + e
    return code, err


def enable(sup, names, opts, on, then):
    """systemctl enable|disable [--now] UNIT...: links, then a daemon-reload (as systemd does), then start|stop."""
    code, err, seen = 0, "", set()
    for name in names:
        c, e = enable_one(name, on, seen)
        code, err = code or c, err + e
    sup.daemon_reload()
    if opts.get("now") and code == 0:
        c, o, e = then(sup, names, opts)
        return c, o, err + e
    return code, "", err


def reenable(sup, names, opts):
    c1, _, e1 = enable(sup, names, {}, False, None)
    c2, _, e2 = enable(sup, names, opts, True, None)
    return c1 or c2, "", e1 + e2
