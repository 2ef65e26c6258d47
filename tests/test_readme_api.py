"""The README's Python API example runs as written against a tiny trained model."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

from fixture_project import ROOT, chdir, project_copy


def _readme_python_api_snippet() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Python API", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


def test_readme_predictor_example_runs(tmp_path: Path) -> None:
    from tweetgeo.config import load_params
    from tweetgeo.runspec import resolve_run
    from tweetgeo.train import train_run

    snippet = _readme_python_api_snippet()
    model = re.search(r'Predictor\("([^"]+)"\)', snippet).group(1)
    project = project_copy(tmp_path / "p")
    with chdir(project):
        out = train_run(resolve_run(load_params("params.yaml"), "tiny-tfidf"))
        shutil.copytree(out, model)  # the README's model path, holding the tiny model
        printed = io.StringIO()
        namespace: dict = {}
        with contextlib.redirect_stdout(printed):
            exec(compile(snippet, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    answers = namespace["answers"]
    assert list(answers.columns[:2]) == ["probability", "target"] and len(answers) == 2
    assert answers["probability"].between(0, 1).all()
    assert printed.getvalue().rstrip().endswith("disaster binary 2")
