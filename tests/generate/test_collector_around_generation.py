"""Generation pauses the cyclic collector and always restores it; the first bulk generation freezes once.

The collector is process-wide state: a generation that raised, or two threads generating at
once, must never leave a kernel with the collector off (or on, when the application had turned
it off). Freezing is tested in fresh interpreters, since it changes the process for good.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator

import pytest

from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, ModelRegistry
from dbkit.generate import collector
from dbkit.generate.builder import ModelGenerator


@pytest.fixture
def collector_enabled() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def _model() -> type:
    class GadgetModel(ApplicationModel, DatabaseMixin):
        label: str

    return GadgetModel


def test_the_collector_is_off_while_a_class_is_built_and_on_after(
    collector_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    build = ModelGenerator.build_class

    def spying(self: ModelGenerator, model: type) -> type:
        seen.append(gc.isenabled())
        return build(self, model)

    monkeypatch.setattr(ModelGenerator, "build_class", spying)
    ModelRegistry(DatabaseManager("sqlite://"), [_model()]).generate()
    _model().db_for(DatabaseManager("sqlite://"))
    assert seen == [False, False]
    assert gc.isenabled()


def test_a_generation_that_raises_restores_the_collector(
    collector_enabled: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(self: ModelGenerator, model: type) -> type:
        raise RuntimeError("boom")

    monkeypatch.setattr(ModelGenerator, "build_class", failing)
    with pytest.raises(RuntimeError, match="boom"):
        ModelRegistry(DatabaseManager("sqlite://"), [_model()]).generate()
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="boom"):
        _model().db_for(DatabaseManager("sqlite://"))
    assert gc.isenabled()


def test_a_collector_the_application_turned_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        ModelRegistry(DatabaseManager("sqlite://"), [_model()]).generate()
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_overlapping_pauses_in_two_threads_restore_only_when_both_end(collector_enabled: None) -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    states: dict[str, bool] = {}

    def first() -> None:
        with collector.collector_paused():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with collector.collector_paused():
            second_in.set()
            first_out.wait(5)
            states["after the first ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert states == {"after the first ended": False}
    assert gc.isenabled()


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


MODELS = """
    import gc
    from dbkit import ApplicationModel, DatabaseManager, DatabaseMixin, ModelRegistry

    def generate():
        class GadgetModel(ApplicationModel, DatabaseMixin):
            label: str

        class PartModel(ApplicationModel, DatabaseMixin, GadgetModel.ReferenceID):
            size: int

        ModelRegistry(DatabaseManager("sqlite://"), [GadgetModel, PartModel]).generate()
"""


def test_the_first_bulk_generation_freezes_and_later_ones_do_not() -> None:
    # Frozen objects freed by reference counting leave the count: it only grows if something freezes.
    out = _run(
        MODELS
        + """
    before = gc.get_freeze_count()
    generate()
    first = gc.get_freeze_count()
    generate()
    print(first > before, gc.get_freeze_count() <= first, gc.isenabled())
    """
    )
    assert out == "True True True"


def test_an_application_that_froze_itself_is_left_alone() -> None:
    out = _run(
        MODELS
        + """
    gc.freeze()
    frozen = gc.get_freeze_count()
    generate()
    print(frozen > 0, gc.get_freeze_count() <= frozen)
    """
    )
    assert out == "True True"


def test_the_freeze_can_be_turned_off() -> None:
    out = _run(
        MODELS
        + """
    from dbkit.generate import collector
    collector.FREEZE_AFTER_GENERATION = False
    before = gc.get_freeze_count()  # not 0 on CPython 3.12: its start-up freezes a few hundred objects
    generate()
    print(gc.get_freeze_count() <= before)
    """
    )
    assert out == "True"
