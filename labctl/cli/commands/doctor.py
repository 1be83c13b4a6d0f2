"""labctl doctor: which engine labctl found and how, and proof that it runs containers."""
from __future__ import annotations

import platform
import shutil
import sys
from pathlib import Path

import click
from rich.markup import escape

from labctl import __version__
from labctl.cli.app import App
from labctl.core.errors import EngineUnavailableError, LabctlError
from labctl.core.exit_codes import ExitCode


def _gib(n: float) -> str:
    return f"{n / 1024 ** 3:.1f} GiB"


def _host_available_memory() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _free_disk(path: Path) -> int | None:
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


def _substitutes(app: App) -> None:
    """Services whose local build is other software than their official image: which one a start would use."""
    from labctl.core import image_needs
    from labctl.core.catalog import catalog_names, load_service

    for name in catalog_names():
        spec = load_service(name)
        if not spec.local_build_note:
            continue
        need = image_needs.ImageNeed(name, (), spec, spec.image, None)
        st = image_needs.state(app.runtime.images, need, app.settings.image_source)
        if st.origin == "pulled":
            app.console.print(f"[green]✔ {name}:[/] the official image {escape(st.present or '')} is here")
        elif st.origin == "built":
            app.console.print(f"[yellow]! {name}:[/] {escape(spec.local_build_note)}")
        else:
            app.console.print(f"[yellow]! {name}:[/] {escape(spec.image or name)} is not here yet: a start pulls it, or "
                              f"where it can't, builds a local substitute that {escape(spec.local_build_note)}")


@click.command()
@click.pass_obj
def doctor(app: App) -> None:
    """Show the engine, its version and architecture, free memory and disk, and run a test container."""
    c = app.console
    s = app.settings
    c.print(f"labctl {__version__} on Python {platform.python_version()} ({sys.platform}, {platform.machine()})")
    c.print(f"data folder: {escape(str(s.home))} (LABCTL_HOME)")
    c.print(f"image source: {s.image_source} (LABCTL_IMAGE_SOURCE)")
    try:
        info = app.runtime.available()
    except EngineUnavailableError as exc:
        c.print(f"[red]✘ engine:[/] {escape(exc.message)}")
        raise LabctlError("no container engine answers", exc.hint, exit_code=ExitCode.ENGINE_UNREACHABLE) from None
    c.print(f"[green]✔ engine:[/] {info.name} {info.version} (API {info.api_version}) at {escape(info.endpoint)}")
    c.print(f"  found through: {escape(info.how)}")
    c.print(f"  system: {escape(info.os)}, {info.arch}, {info.cpus} CPUs, {_gib(info.memory_bytes)} memory"
            f", storage {info.storage_driver or '?'}, cgroup v{info.cgroup_version or '?'}")
    available = _host_available_memory()
    if available is not None:
        c.print(f"  memory available on this machine: {_gib(available)}")
    for label, path in (("labctl data", s.home), ("engine data", Path(info.root_dir) if info.root_dir else None)):
        if path is None:
            continue
        free = _free_disk(path)
        if free is not None:
            warn = " [yellow](low: labs need about 2 GiB)[/]" if free < 2 * 1024 ** 3 else ""
            c.print(f"  free disk for {label} ({escape(str(path))}): {_gib(free)}{warn}")
    try:
        output = app.runtime.smoke_test()
    except LabctlError as exc:
        c.print(f"[red]✘ test container:[/] {escape(exc.message)}")
        raise
    c.print(f"[green]✔ test container ran[/] and said {escape(output)!r}.")
    _substitutes(app)
    c.print("Everything needed is here. Next: [cyan]labctl start databases-101[/].")
