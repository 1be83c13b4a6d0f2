"""labctl images: what each lab needs, pull, build, push to a registry, workshop bundles (save/load), prune."""
from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from labctl.cli.app import App
from labctl.core import image_needs as image_plan
from labctl.core.errors import LabctlError
from labctl.core.exit_codes import ExitCode


def _labs(app: App, lab_id: str | None):
    return [app.loader.load(lab_id, checks=False)] if lab_id else app.loader.load_all(checks=False)


def _mib(size: int) -> str:
    return f"{size / 1024 ** 2:.0f} MiB" if size else ""


@click.group()
def images() -> None:
    """Images for the labs: list, pull, build, push, save/load a workshop bundle, prune."""


@images.command("list")
@click.option("--lab", "lab_id", metavar="LAB", help="Only this lab's images.")
@click.pass_obj
def list_images(app: App, lab_id: str | None) -> None:
    """What each service needs, and whether it is here (pulled or built) or missing."""
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("service", no_wrap=True)
    table.add_column("image", no_wrap=True)  # a cut tag is useless: let "used by" wrap instead
    table.add_column("state", no_wrap=True)
    table.add_column("size", no_wrap=True, justify="right")
    table.add_column("used by", overflow="fold")
    missing = 0
    notes = []
    for need in image_plan.needs(_labs(app, lab_id)):
        st = image_plan.state(app.runtime.images, need, app.settings.image_source)
        ref = st.present or need.official or "(local build)"
        label = {"pulled": "[green]pulled[/]", "built": "[green]built here[/]", "missing": "[yellow]missing[/]"}[st.origin]
        if st.origin == "built" and need.service.local_build_note:
            label = "[yellow]built here*[/]"
            notes.append(f"* {need.catalog}: {need.service.local_build_note}")
        missing += st.origin == "missing"
        table.add_row(need.catalog, escape(ref), label, _mib(st.size), ", ".join(need.labs))
    app.console.print(table)
    for note in notes:
        app.console.print(escape(note), style="yellow")
    if missing:
        app.console.print("Get them with [cyan]labctl images pull[/] (builds locally what can't be pulled), "
                          "or [cyan]labctl images load BUNDLE[/] from a workshop bundle.")


@images.command("pull")
@click.argument("lab_id", metavar="[LAB]", required=False)
@click.pass_obj
def pull(app: App, lab_id: str | None) -> None:
    """Get every image LAB needs (all labs by default): pull, or build locally when that fails."""
    from labctl.cli.pull_bars import pull_progress

    problems = []
    for need in image_plan.needs(_labs(app, lab_id)):
        with pull_progress(app) as emit:
            try:
                ref = app.runtime.images.resolve(need.service, app.settings.image_source, emit)
            except LabctlError as exc:  # one missing image must not stop the others
                problems.append(exc)
                app.console.print(f"[red]✘[/] {need.catalog}: {escape(exc.message)}")
                continue
        app.console.print(f"[green]✔[/] {need.catalog}: {escape(ref)}")
    if problems:
        raise problems[0]


@images.command("build")
@click.argument("service", required=False)
@click.pass_obj
def build(app: App, service: str | None) -> None:
    """Build the local image of SERVICE (default: every service that has a local build)."""
    from labctl.core.catalog import catalog_names, load_service

    if not app.runtime.images.can_build:
        app.abort(f"the {app.runtime.name} backend cannot build images",
                  hint="Build them where an engine can (`labctl images build`), then `labctl images push REGISTRY`.")
    names = [service] if service else catalog_names()
    for name in names:
        spec = load_service(name)
        if spec.build_context is None:
            if service:
                app.abort(f"{name} has no local build", hint="Pull it, or load it from a workshop bundle.")
            continue
        ref = app.runtime.images.build(spec, app.emit)
        app.console.print(f"[green]✔[/] {name}: {escape(ref)}")


@images.command("push")
@click.argument("registry")
@click.option("--lab", "lab_id", metavar="LAB", help="Only this lab's images (default: all labs).")
@click.pass_obj
def push(app: App, registry: str, lab_id: str | None) -> None:
    """Copy every image the labs need to REGISTRY (host[:port][/path]), e.g. the one a cluster pulls from."""
    from labctl.cli.pull_bars import pull_progress

    registry = registry.rstrip("/")
    if not registry or "://" in registry or " " in registry:
        app.abort(f"{registry!r} is not a registry address", code=ExitCode.USAGE,
                  hint="Give host[:port][/path], e.g. registry.example.org:5000/labs.")
    missing = []
    for need in image_plan.needs(_labs(app, lab_id)):
        st = image_plan.state(app.runtime.images, need, app.settings.image_source)
        if st.present is None:
            missing.append(need.catalog)
            continue
        target = f"{registry}/{st.present.rsplit('/', 1)[-1]}"
        with pull_progress(app) as emit:
            app.runtime.images.push(st.present, target, emit)
        app.console.print(f"[green]✔[/] {need.catalog}: {escape(target)}")
    if missing:
        app.abort(f"these images are not on this machine, so they were not pushed: {', '.join(missing)}",
                  hint="Run `labctl images pull` first, then push again.")


@images.command("save")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--lab", "lab_id", metavar="LAB", help="Only this lab's images (default: all labs).")
@click.pass_obj
def save(app: App, file: Path, lab_id: str | None) -> None:
    """Write a workshop bundle: every image the labs need, with checksums, in one file."""
    from labctl.core import bundle

    refs, missing = [], []
    for need in image_plan.needs(_labs(app, lab_id)):
        st = image_plan.state(app.runtime.images, need, app.settings.image_source)
        (refs.append(st.present) if st.present else missing.append(need.catalog))
    if missing:
        app.abort(f"these images are not on this machine: {', '.join(missing)}",
                  hint="Run `labctl images pull` first (or leave those labs out with --lab).")
    entries = bundle.save(app.runtime.images, refs, file, progress=lambda m: app.err.print(f"  {escape(m)}"))
    total = sum(e.size for e in entries)
    app.console.print(f"[green]✔[/] Wrote {escape(str(file))}: {len(entries)} images, {_mib(total)}. "
                      "On each laptop: [cyan]labctl images load FILE[/].")


@images.command("load")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def load(app: App, file: Path) -> None:
    """Load a workshop bundle (verifies every checksum first; a damaged bundle loads nothing)."""
    from labctl.core import bundle

    entries = bundle.load(app.runtime.images, file, progress=lambda m: app.err.print(f"  {escape(m)}"))
    for entry in entries:
        app.console.print(f"[green]✔[/] {escape(entry.ref)}")
    app.console.print(f"Loaded {len(entries)} images; no network needed to start the labs now.")


@images.command("prune")
@click.option("--all", "everything", is_flag=True, help="Also remove the current local builds (not just stale ones).")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def prune(app: App, everything: bool, yes: bool) -> None:
    """Remove images labctl built (only those carrying its label), keeping the current ones unless --all."""
    from labctl.core.catalog import catalog_names, load_service

    current = set()
    if not everything:
        for name in catalog_names():
            tag = app.runtime.images.local_tag(load_service(name))
            if tag:
                current.add(tag)
    doomed = image_plan.stale_images(app.runtime.images, current)
    if not doomed:
        app.console.print("Nothing to remove.")
        return
    app.confirm(f"Remove {len(doomed)} labctl image(s)?", yes)
    for image in doomed:
        name = ", ".join(image.tags) or image.id[:19]
        try:
            app.runtime.images.remove(image.id)
            app.console.print(f"[green]✔[/] removed {escape(name)}")
        except LabctlError as exc:
            app.console.print(f"[yellow]![/] kept {escape(name)}: {escape(exc.message)}")
