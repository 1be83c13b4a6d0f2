"""Task texts: code blocks are printed as written (never wrapped into extra lines), the rest as Markdown."""
from __future__ import annotations

import io

from rich.console import Console

from labctl.cli.ui import markdown_file, markdown_segments

TEXT = """Steps

1. Tell Git which key to use:

   ```bash
   export GIT_SSH_COMMAND="ssh -i '$LABCTL_SSH_KEY' -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=x"
   ```

   It uses the lab's key.
2. Clone:

   ```
   git clone "$SSH_URL/home/learner/repos/shop.git"
   ```
"""


def test_segments_keep_code_apart_and_dedented():
    pieces = markdown_segments(TEXT)
    assert [kind for kind, _ in pieces] == ["markdown", "code", "markdown", "code"]
    assert pieces[1][1].startswith('export GIT_SSH_COMMAND="ssh -i')
    assert pieces[3][1] == 'git clone "$SSH_URL/home/learner/repos/shop.git"'
    # the list goes on after the code block: item 2 is not swallowed by the paragraph before it
    assert "It uses the lab's key.\n\n2. Clone:" in pieces[2][1]


def test_a_long_command_is_one_line_at_any_width(tmp_path):
    path = tmp_path / "task.md"
    path.write_text(TEXT)
    out = io.StringIO()
    markdown_file(Console(file=out, width=60, no_color=True), path)
    lines = out.getvalue().splitlines()
    command = [line for line in lines if "GIT_SSH_COMMAND=" in line]
    assert len(command) == 1 and command[0].rstrip().endswith("UserKnownHostsFile=x\"")
    assert any(line.strip().startswith("2 Clone:") for line in lines)


def test_unclosed_fence_shows_what_there_is():
    assert markdown_segments("text\n```\nls -l\n") == [("markdown", "text"), ("code", "ls -l")]
