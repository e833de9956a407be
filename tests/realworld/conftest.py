"""Fixtures of the real-world corpus: one workspace per test session, each version's codebase
(its shim) written once and loaded once, and the stage results the later stages build on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from corpus import LoadedVersion, Project, load_version, write_shim


@pytest.fixture(scope="session")
def corpus_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("realworld")


@pytest.fixture(scope="session")
def shim(corpus_workspace: Path) -> Callable[[Project, str], Path]:
    """The codebase directory of one version of a project: its ``DB_<Project>.py`` shim only."""

    def codebase(project: Project, version: str) -> Path:
        directory = corpus_workspace / "codebases" / f"{project.name}-{version}"
        if not directory.is_dir():
            write_shim(project, version, directory)
        return directory

    return codebase


@pytest.fixture(scope="session")
def loaded(shim: Callable[[Project, str], Path]) -> Callable[[Project, str], LoadedVersion]:
    made: dict[tuple[str, str], LoadedVersion] = {}

    def load(project: Project, version: str) -> LoadedVersion:
        key = (project.name, version)
        if key not in made:
            made[key] = load_version(shim(project, version))
        return made[key]

    return load
