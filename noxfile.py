"""The test suite on every Python dbkit supports (the README's test command runs this file).

Each session installs ``.[test]`` into its own virtualenv. The whole suite (unit tests, the real
PostgreSQL tests, the kernel-safety test, the notebooks under nbval) runs on the oldest Python;
the newer ones run everything but the notebooks (nbval and the papermill runs on other codebases)
and the real-world corpus (tests/realworld), which
are the slow part and depend on no
Python-version-specific dbkit code beyond what the unit tests cover.
"""

from __future__ import annotations

import nox

PYTHONS = ["3.11", "3.12", "3.13"]  # keep in step with pyproject.toml's classifiers
NOTEBOOKS_ON = PYTHONS[0]

nox.options.sessions = ["tests"]
nox.options.error_on_missing_interpreters = True  # a Python CI cannot find fails the run, never skips
nox.options.reuse_existing_virtualenvs = True


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    # The real-world corpus (tests/realworld) pins packages that install on the oldest Python; it
    # exercises dbkit's engine, which the newer Pythons run through the rest of the suite. The
    # notebooks run on the oldest Python only, under nbval and under papermill alike.
    newer = [
        "tests",
        "--ignore=tests/realworld",
        "--ignore=tests/notebook/test_notebooks_on_user_codebases.py",
    ]
    paths = session.posargs or ([] if session.python == NOTEBOOKS_ON else newer)
    # Every core: --dist loadscope sends each module (and each notebook, whose cells share one
    # kernel) whole to one worker. Measured on 2 cores: 883 tests in 4.5 min instead of 8.
    parallel = ["-n", "auto", "--dist", "loadscope"]
    session.run("python", "-m", "pytest", *parallel, *paths, env={"PYTHONHASHSEED": "0"})
