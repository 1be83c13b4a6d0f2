"""`labctl status` on the fake runtime: a Linux box keeps the image it was made with, and status says when the
lab's recipe now makes a newer one."""
from __future__ import annotations

from labctl.core import naming
from tests.cli.test_backend_capabilities import app_for, run  # noqa: F401 (fixtures)


def test_status_says_when_the_box_runs_an_older_image_than_the_recipe(app_for, run):  # noqa: F811
    app = app_for()
    assert run(app, "start", "linuxbox-only").exit_code == 0
    current = run(app, "status")
    assert current.exit_code == 0 and "runs the image it was made with" not in current.output

    container = app.runtime.engine.containers[naming.container("linuxbox-only", "linuxbox")]
    recipe = container.image
    container.image = "labctl-local/linuxbox:000000000000"  # as if the recipe changed since it was made
    older = run(app, "status")
    assert older.exit_code == 0
    assert ("linuxbox runs the image it was made with (labctl-local/linuxbox:000000000000); the lab now has "
            f"{recipe}. labctl reset moves it there (its system files start over; /home stays).") \
        in " ".join(older.output.split())
    data = __import__("json").loads(run(app, "status", "--json").output)
    assert data["services"][0]["newer_image"] == recipe


def test_images_prune_leaves_an_instances_kept_file_system(app_for, run):  # noqa: F811
    """A kept file system is the learner's work, not an outdated build: only destroy and reset remove it."""
    from labctl.core import labels

    app = app_for()
    engine = app.runtime.engine
    engine.add_image("labctl-local/linuxbox:000000000000", {labels.MANAGED: "true", labels.IMAGE_FOR: "linuxbox"})
    engine.add_image("labctl-alice-linuxbox-kept:latest",
                     {labels.MANAGED: "true", labels.IMAGE_FOR: "linuxbox", labels.INSTANCE: "alice",
                      labels.KEPT_FILESYSTEM: "linuxbox", labels.OWNER: app.runtime.owner})
    result = run(app, "images", "prune", "--all", "-y")
    assert result.exit_code == 0, result.output
    assert "labctl-alice-linuxbox-kept:latest" in engine.images
    assert "labctl-local/linuxbox:000000000000" not in engine.images
