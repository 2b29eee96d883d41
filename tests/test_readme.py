"""The README's lessons' story runs as printed: its code gives exactly the output shown."""

import contextlib
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_lessons_story_prints_what_the_readme_shows(tmp_path, monkeypatch):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## The lessons' story, end to end")[1].split("\n## ")[0]
    code = re.search(r"```python\n(.*?)```", section, flags=re.S).group(1)
    shown = re.search(r"```text\n(.*?)```", section, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == shown
    assert (tmp_path / "step.png").read_bytes()[:4] == b"\x89PNG"
    for picture in re.findall(r"\]\((docs/images/[^)]+)\)", readme):
        assert (ROOT / picture).exists(), picture
