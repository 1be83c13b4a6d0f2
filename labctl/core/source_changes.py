"""Whether the learner changed their code after their app started: an app `labctl app start` runs keeps the
code it read at start, so a check after an edit would judge the old code."""
from __future__ import annotations

import os
from pathlib import Path

# Files that are code or a project's description, not what an app writes as it runs (a JSON store, a SQLite
# file, uploads, logs).
SOURCE_SUFFIXES = frozenset({
    ".py", ".js", ".mjs", ".cjs", ".ts", ".mts", ".jsx", ".tsx", ".go", ".java", ".kt", ".kts", ".scala", ".rb",
    ".php", ".rs", ".cs", ".fs", ".ex", ".exs", ".clj", ".swift", ".c", ".h", ".cpp", ".hpp", ".lua", ".pl", ".sh",
    ".html", ".ejs", ".hbs", ".jinja", ".j2", ".erb", ".twig", ".toml", ".yaml", ".yml", ".gradle", ".xml", ".mod",
    ".env",
})
SOURCE_NAMES = frozenset({"package.json", "Gemfile", "requirements.txt", "pyproject.toml", "composer.json"})
SKIPPED = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", "env", "target", "build",
                     "dist", ".gradle", ".idea", ".vscode", ".mypy_cache", ".pytest_cache", "vendor"})
MAX_FILES = 5000  # a workspace with more is not walked further: the answer is a hint, not a verdict


def newest_source(folder: Path) -> tuple[float, str] | None:
    """(modification time, path relative to folder) of the most recently changed source file, or None."""
    newest: tuple[float, str] | None = None
    seen = 0
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SKIPPED and not d.startswith(".")]
        for name in files:
            seen += 1
            if seen > MAX_FILES:
                return newest
            if Path(name).suffix.lower() not in SOURCE_SUFFIXES and name not in SOURCE_NAMES:
                continue
            path = Path(root) / name
            try:
                changed = path.stat().st_mtime
            except OSError:
                continue
            if newest is None or changed > newest[0]:
                newest = (changed, path.relative_to(folder).as_posix())
    return newest
