"""The README's GitHub Actions recipe, run: its own YAML, read from the README, on two commits of the sample.

A small runner plays GitHub's part: ``actions/checkout`` becomes a clone at the step's ref, ``run``
steps run in ``bash -eo pipefail`` as GitHub runs them, with ``${{ ... }}`` expressions, ``env``
and ``$GITHUB_OUTPUT`` handled; a failed step skips the rest but ``if: always()`` steps. Installing
(this environment has dbkit) and posting (no forge here) are left out, and so are the other
marketplace actions. The job must pass on an accepted change and fail on a refused one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from dbkit.notebook.report_markdown import MARKER

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
MODELS = "app/models"
#: Steps the runner leaves out, by name: this environment has dbkit installed, and there is no forge.
NOT_RUN = {"Install dbkit", "Post or update the comment"}


def readme_job() -> dict[str, Any]:
    """The job of the README's ``yaml`` block in "Reviewing a schema change"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Reviewing a schema change", 1)[1]
    block = re.search(r"```yaml\n(.*?)\n```", section, re.DOTALL)
    assert block is not None, "README: no yaml block under 'Reviewing a schema change'"
    workflow = yaml.safe_load(block.group(1))
    (job,) = workflow["jobs"].values()
    return job


@dataclass
class JobRun:
    """What the runner saw: each step's name and exit status, in order (skipped steps absent)."""

    workspace: Path
    statuses: list[tuple[str, int]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(status == 0 for _name, status in self.statuses)


def run_job(job: dict[str, Any], repository: Path, base: str, head: str, workspace: Path) -> JobRun:
    context = {"github.event.pull_request.base.sha": base, "github.repository": "acme/app"}
    run = JobRun(workspace)
    outputs: dict[str, dict[str, str]] = {}
    job_env = {key: _expand(str(value), context, outputs) for key, value in job.get("env", {}).items()}
    for step in job["steps"]:
        name = step.get("name") or step.get("uses", "")
        if name in NOT_RUN or (not run.passed and step.get("if") != "always()"):
            continue
        uses = step.get("uses", "")
        if uses.startswith("actions/checkout@"):
            options = step.get("with", {})
            ref = _expand(str(options.get("ref", head)), context, outputs)
            target = workspace / options.get("path", ".")
            subprocess.run(["git", "clone", "-q", str(repository), str(target)], check=True)
            subprocess.run(["git", "-C", str(target), "checkout", "-q", ref], check=True)
            run.statuses.append((name, 0))
        elif "run" in step:
            status, produced = _run_step(step, job_env, context, outputs, workspace)
            if "id" in step:
                outputs[step["id"]] = produced
            run.statuses.append((name, status))
    return run


def _run_step(
    step: dict[str, Any],
    job_env: dict[str, str],
    context: dict[str, str],
    outputs: dict[str, dict[str, str]],
    workspace: Path,
) -> tuple[int, dict[str, str]]:
    output_file = workspace / ".github_output"
    output_file.write_text("")
    step_env = {key: _expand(str(value), context, outputs) for key, value in step.get("env", {}).items()}
    script = workspace / ".step.sh"
    script.write_text(_expand(step["run"], context, outputs))
    bin_dir = str(Path(sys.executable).parent)  # where this environment's `dbkit` lives
    env = {
        **os.environ,
        **job_env,
        **step_env,
        "GITHUB_OUTPUT": str(output_file),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
    )
    produced = dict(line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
    return done.returncode, produced


def _expand(text: str, context: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        step_output = re.fullmatch(r"steps\.(\w+)\.outputs\.(\w+)", expression)
        if step_output:
            return outputs.get(step_output.group(1), {}).get(step_output.group(2), "")
        if expression not in context:
            raise AssertionError(
                f"the recipe uses ${{{{ {expression} }}}}, which this runner does not provide"
            )
        return context[expression]

    return re.sub(r"\$\{\{\s*(.+?)\s*\}\}", value, text)


def _commit(repository: Path, models: Path, message: str) -> str:
    target = repository / MODELS
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(models, target, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-C", str(repository), "-c", "user.name=ci", "-c", "user.email=ci@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", message], check=True)
    return subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def sample_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A git repository whose commits are the sample's models: the base, a refused and an accepted change."""
    repository = tmp_path_factory.mktemp("repository")
    subprocess.run(["git", "init", "-q", "-b", "main", str(repository)], check=True)
    commits = {"base": _commit(repository, DATA / "sample_app_fixed", "base")}
    commits["refused"] = _commit(repository, DATA / "evolution" / "v2_fixed", "v2: drops avatar_url")
    accepted = tmp_path_factory.mktemp("accepted") / "models"
    shutil.copytree(DATA / "evolution" / "v2_fixed", accepted, ignore=shutil.ignore_patterns("__pycache__"))
    auth = accepted / "BLL_Auth.py"
    kept = '    avatar_url: str | None = Field(None, description="Profile picture URL", max_length=500)\n'
    text = auth.read_text()
    anchor = "    timezone: str | None"
    assert anchor in text and kept not in text
    auth.write_text(text.replace(anchor, kept + anchor, 1))
    commits["accepted"] = _commit(repository, accepted, "v2 keeping avatar_url")
    return repository, commits


def test_the_recipe_passes_on_an_accepted_change(
    sample_repository: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repository, commits = sample_repository
    run = run_job(readme_job(), repository, commits["base"], commits["accepted"], tmp_path)
    assert run.passed, run.statuses
    assert [name for name, _ in run.statuses][-1] == "Fail on a refused change"
    comment = (tmp_path / "review.md").read_text()
    assert comment.startswith(MARKER) and "Accepted:" in comment and "```mermaid" in comment
    assert "Parity: hand-written vs generated" in comment  # the head's codebase is the one reviewed
    assert (tmp_path / "review.html").is_file()


def test_the_recipe_fails_on_a_refused_change(
    sample_repository: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repository, commits = sample_repository
    run = run_job(readme_job(), repository, commits["base"], commits["refused"], tmp_path)
    assert run.statuses[-1] == ("Fail on a refused change", 1), run.statuses
    assert all(status == 0 for _name, status in run.statuses[:-1])
    comment = (tmp_path / "review.md").read_text()
    assert "Refused:" in comment and "drop column users.avatar_url" in comment
    assert (tmp_path / "review.html").is_file()  # the job keeps the page for a refused change too


def test_the_runner_refuses_expressions_it_does_not_know() -> None:
    with pytest.raises(AssertionError, match=r"github\.actor"):
        _expand("${{ github.actor }}", {}, {})
