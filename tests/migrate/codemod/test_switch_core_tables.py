"""``dbkit switch`` on Core tables: ``books = sa.Table(..., metadata)`` becomes the generated table.

A library codebase written here (not the sample) declares Core tables on a module-level ``MetaData``
with a naming convention; another file imports that ``MetaData`` and has a foreign key to the
switched table; an application module reads a table. After the switch the generated table is on the
application's ``MetaData`` (adopted once with ``DatabaseManager(metadata=...)``), with the same
constraint names, and the application reads its rows through it. Phase 3's import rewrite then
replaces ``from DB_Shelf import books`` with the generated table.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from codebases import write_codebase

from dbkit import DatabaseManager
from dbkit.cli import main
from dbkit.errors import ConfigurationError
from dbkit.migrate.codemod.legacy_imports import (
    apply_rewrite,
    check_phase3,
    plan_rewrite,
    replacements_from_scaffold,
)
from dbkit.migrate.codemod.scaffold import scaffold_codebase
from dbkit.migrate.codemod.switch import SwitchRefusedError, plan_switch, switch_order
from dbkit.migrate.source.codebase import load_codebase
from dbkit.migrate.source.isolation import isolated_imports
from dbkit.migrate.source.parity import parity

SHELF = """
    import sqlalchemy as sa

    metadata = sa.MetaData(
        naming_convention={
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        }
    )

    authors = sa.Table(
        "authors",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
    )

    books = sa.Table(
        "books",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("authors.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("isbn", sa.String(13), nullable=True, unique=True),
    )
"""

LOANS = """
    import sqlalchemy as sa

    from DB_Shelf import metadata

    loans = sa.Table(
        "loans",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("book_id", sa.Integer, sa.ForeignKey("books.id"), nullable=False),
        sa.Column("borrower", sa.String(80), nullable=False),
    )
"""

REPORTS = '''
    """Application code reading a Core table."""

    import sqlalchemy as sa

    from DB_Shelf import books

    def titles(connection):
        return [row.title for row in connection.execute(sa.select(books.c.title).order_by(books.c.id))]
'''

TITLES = [f"Volume {i}" for i in range(1, 6)]


def library(root: Path, url: str) -> Path:
    """The Core codebase with scaffolded models beside it, and rows stored through its tables."""
    write_codebase(root, {"DB_Shelf.py": SHELF, "DB_Loans.py": LOANS, "reports.py": REPORTS})
    scaffold_codebase(root).write(root)
    with isolated_imports(root), DatabaseManager.default_scope(DatabaseManager("sqlite://")):
        import DB_Loans
        import DB_Shelf

        engine = sa.create_engine(url)
        DB_Shelf.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(sa.insert(DB_Shelf.authors), [{"id": 1, "name": "Ada"}])
            connection.execute(
                sa.insert(DB_Shelf.books),
                [
                    {"id": i, "author_id": 1, "title": title, "isbn": f"97800000000{i:02d}"}
                    for i, title in enumerate(TITLES, start=1)
                ],
            )
            connection.execute(sa.insert(DB_Loans.loans), [{"id": 1, "book_id": 2, "borrower": "Bob"}])
        engine.dispose()
    return root


@pytest.fixture
def shelf(tmp_path: Path, database_url: str) -> Iterator[tuple[Path, str]]:
    yield library(tmp_path / "app", database_url), database_url


@contextmanager
def application(root: Path, url: str) -> Iterator[None]:
    """The codebase imported as the application imports it, its default manager on ``url``."""
    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        with isolated_imports(root), DatabaseManager.default_scope(DatabaseManager(url)):
            try:
                yield
            finally:
                DatabaseManager.default().dispose()
    finally:
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous


def files(root: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(root.glob("*.py"))}


def test_a_core_table_switches_to_the_generated_table_on_the_applications_metadata(
    shelf: tuple[Path, str],
) -> None:
    root, url = shelf
    plan = plan_switch(root, "books", url=url)
    assert plan.class_name == "DB_Shelf.books" and plan.model_name == "BookModel"
    diff = plan.diff()
    assert "-books = sa.Table(" in diff and "+books = BookModel.DB.__table__" in diff
    assert "+DatabaseManager.set_default(DatabaseManager(metadata=metadata))" in diff
    assert plan.write() == [root / "DB_Shelf.py"]

    codebase = load_codebase(root)
    assert not codebase.errors and sorted(codebase.hand_written) == ["authors", "loans"]
    assert not parity(codebase).has_schema_differences
    with application(root, url):
        import BLL_Shelf
        import DB_Loans
        import DB_Shelf
        import reports

        manager = DatabaseManager.default()
        assert manager.adopted_base and manager.metadata is DB_Shelf.metadata
        assert DB_Shelf.books is BLL_Shelf.BookModel.DB.__table__
        assert DB_Shelf.metadata.tables["books"] is DB_Shelf.books
        (foreign_key,) = DB_Loans.loans.c.book_id.foreign_keys
        assert foreign_key.column is DB_Shelf.books.c.id  # another Core table's foreign key resolves
        assert {c.name for c in DB_Shelf.books.constraints} == {
            "pk_books",
            "uq_books_isbn",
            "fk_books_author_id",
        }
        with manager.engine.connect() as connection:
            assert reports.titles(connection) == TITLES
        with manager.get_db() as db:
            assert db.get(BLL_Shelf.BookModel.DB, 2).title == "Volume 2"


def test_every_core_table_switches_in_order_and_the_metadata_is_adopted_once(shelf: tuple[Path, str]) -> None:
    root, url = shelf
    order = switch_order(load_codebase(root))
    assert order == ["authors", "books", "loans"]
    written = {table: plan_switch(root, table, url=url).write() for table in order}
    assert written["loans"] == [root / "DB_Loans.py"]  # DB_Shelf adopted its MetaData already
    codebase = load_codebase(root)
    assert not codebase.errors and not codebase.hand_written
    assert not parity(codebase).has_schema_differences
    assert (root / "DB_Shelf.py").read_text().count("DatabaseManager(metadata=") == 1
    with application(root, url):
        import reports

        with DatabaseManager.default().engine.connect() as connection:
            assert reports.titles(connection) == TITLES


def test_a_metadata_imported_from_another_file_is_adopted_where_it_is_created(
    tmp_path: Path, sqlite_url: str
) -> None:
    root = library(tmp_path / "app", sqlite_url)
    plan = plan_switch(root, "loans")
    assert sorted(edit.path.name for edit in plan.edits) == ["DB_Loans.py", "DB_Shelf.py"]
    plan.write()
    shelf_text = (root / "DB_Shelf.py").read_text()
    adoption = shelf_text.index("DatabaseManager.set_default(DatabaseManager(metadata=metadata))")
    assert shelf_text.index("metadata = sa.MetaData(") < adoption < shelf_text.index("authors = sa.Table(")
    assert "from dbkit import DatabaseManager" in shelf_text
    assert "loans = LoanModel.DB.__table__" in (root / "DB_Loans.py").read_text()
    assert sorted(load_codebase(root).hand_written) == ["authors", "books"]


def test_a_core_table_whose_model_drifts_is_refused_and_nothing_is_written(
    tmp_path: Path, sqlite_url: str
) -> None:
    root = library(tmp_path / "app", sqlite_url)
    models = root / "BLL_Shelf.py"
    models.write_text(models.read_text().replace("max_length=200", "max_length=250"))
    before = files(root)
    with pytest.raises(
        SwitchRefusedError,
        match=r"books: parity is not clean \(schema column_type books\.title: .*length.: 200.*length.: 250",
    ):
        plan_switch(root, "books")
    assert files(root) == before


def test_core_rows_the_model_refuses_stop_the_switch(tmp_path: Path, sqlite_url: str) -> None:
    root = library(tmp_path / "app", sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:  # SQLite stores a VARCHAR(200) longer than 200
        connection.execute(
            sa.text("INSERT INTO books (id, author_id, title) VALUES (9, 1, :t)"), {"t": "x" * 250}
        )
    engine.dispose()
    with pytest.raises(SwitchRefusedError, match=r"books: 1 of 6 row\(s\) fail BookModel \(title 1\)"):
        plan_switch(root, "books", url=sqlite_url)


def test_a_core_table_no_module_level_name_holds_is_refused(tmp_path: Path) -> None:
    root = write_codebase(
        tmp_path / "app",
        {
            "DB_Tags.py": """
                import sqlalchemy as sa

                metadata = sa.MetaData()
                sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True))
            """
        },
    )
    scaffold_codebase(root).write(root)
    with pytest.raises(
        SwitchRefusedError,
        match=r"tags \(DB_Tags.py\) is a Core table held as DB_Tags.metadata.tables\['tags'\]; a switch",
    ):
        plan_switch(root, "tags")


def test_a_manager_adopts_a_core_metadata_but_not_together_with_a_base() -> None:
    metadata = sa.MetaData(naming_convention={"pk": "pk_%(table_name)s"})
    manager = DatabaseManager("sqlite://", metadata=metadata)
    assert manager.adopted_base and manager.metadata is metadata and manager.Base.metadata is metadata
    assert DatabaseManager("sqlite://", metadata=sa.MetaData()).Base is not manager.Base
    with pytest.raises(ConfigurationError, match=r"give one"):
        DatabaseManager("sqlite://", metadata=metadata, base=manager.Base)
    with pytest.raises(ConfigurationError, match=r"metadata must be the application's sa.MetaData\(\)"):
        DatabaseManager("sqlite://", metadata="metadata")  # type: ignore[arg-type]


def test_the_command_switches_a_core_table(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = library(tmp_path / "app", sqlite_url)
    assert main(["switch", str(root), "--table", "books", "--url", sqlite_url]) == 0
    assert "+books = BookModel.DB.__table__" in capsys.readouterr().out
    assert "books = sa.Table(" in (root / "DB_Shelf.py").read_text()  # printing writes nothing
    assert main(["switch", str(root), "--table", "books", "--write"]) == 0
    assert "books = BookModel.DB.__table__" in (root / "DB_Shelf.py").read_text()
    assert main(["switch", str(root), "--table", "books"]) == 2
    assert "books is already generated: nothing to switch" in capsys.readouterr().err


def test_phase3_rewrites_core_table_imports_to_the_generated_table(shelf: tuple[Path, str]) -> None:
    root, url = shelf
    (root / "stats.py").write_text(
        "import sqlalchemy as sa\n\nimport DB_Shelf\n\n\n"
        "def count(connection):\n"
        "    return connection.execute(sa.select(sa.func.count()).select_from(DB_Shelf.books)).scalar()\n"
    )
    mapping = replacements_from_scaffold(
        load_codebase(root).hand_written.values(), scaffold_codebase(root).models
    )
    for table in switch_order(load_codebase(root)):
        plan_switch(root, table).write()
    plan = plan_rewrite(root, mapping)
    assert not plan.unresolved and sorted(r.relative for r in plan.files) == ["reports.py", "stats.py"]
    apply_rewrite(plan)
    reports_text = (root / "reports.py").read_text()
    assert "from BLL_Shelf import BookModel\nbooks = BookModel.DB.__table__\n" in reports_text
    assert "select_from(BookModel.DB.__table__)" in (root / "stats.py").read_text()
    for legacy in root.glob("DB_*.py"):
        legacy.unlink()
    report = check_phase3(root, import_check=True)
    assert report.clean, report
    with application(root, url):
        import reports
        import stats

        with DatabaseManager.default().engine.connect() as connection:
            assert reports.titles(connection) == TITLES
            assert stats.count(connection) == len(TITLES)


MEMBERS = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Member(Base):
        __tablename__ = "members"
        id: Mapped[int] = mapped_column(primary_key=True)
        nick: Mapped[str] = mapped_column(sa.String(30))
"""


def test_one_default_manager_adopts_a_base_or_a_core_metadata_not_both(tmp_path: Path) -> None:
    """A codebase with a declarative base and Core tables on another MetaData: whichever switches
    first adopts its schema; the other kind is refused rather than silently replacing it."""
    for first, second, mark in (("members", "books", "base="), ("books", "members", "metadata=")):
        root = write_codebase(
            tmp_path / first, {"DB_Shelf.py": SHELF, "DB_Members.py": MEMBERS, "reports.py": REPORTS}
        )
        scaffold_codebase(root).write(root)
        plan_switch(root, first).write()
        before = files(root)
        with pytest.raises(
            SwitchRefusedError, match=rf"{second}: DB_\w+\.py already hands .*\(DatabaseManager\({mark}"
        ):
            plan_switch(root, second)
        assert files(root) == before
