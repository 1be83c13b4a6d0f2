"""rich progress bars for image pulls and pushes: one bar per layer, driven by core events."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from labctl.core import events
from labctl.core.events import Emit, Event


@contextmanager
def pull_progress(app) -> Iterator[Emit]:
    """An emit() that draws pull events as per-layer bars (and other events as lines)."""
    if app.quiet:
        yield events.discard
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

    bars: dict[str, int] = {}
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=app.err,
                  transient=True) as progress:
        def emit(event: Event) -> None:
            if event.kind == events.IMAGE_PROGRESS and event.data.get("layer"):
                layer = event.data["layer"]
                if layer not in bars:
                    bars[layer] = progress.add_task(f"{layer} {event.message}", total=None)
                progress.update(bars[layer], description=f"{layer} {event.message}",
                                completed=event.data.get("current") or 0, total=event.data.get("total"))
            else:
                app.emit(event)

        yield emit
