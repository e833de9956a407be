"""Table names and constraint names: one spelling on every backend."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dbkit.naming import (
    MAX_IDENTIFIER_BYTES,
    naming_convention,
    reference_field_for,
    shorten_identifier,
    table_name_for,
)


@pytest.mark.parametrize(
    ("class_name", "table"),
    [
        ("UserModel", "users"),
        ("UserTeamModel", "user_teams"),
        ("MetadataModel", "metadata"),
        ("CategoryModel", "categories"),
        ("PersonModel", "people"),
        ("CredentialsModel", "credentials"),
        ("AnalysisModel", "analyses"),
        ("AddressModel", "addresses"),
        ("HTTPLogModel", "http_logs"),
        ("Invitation", "invitations"),
    ],
)
def test_table_names_are_snake_case_plurals(class_name: str, table: str) -> None:
    assert table_name_for(class_name) == table


def test_reference_field_of_multi_word_model_keeps_the_underscore() -> None:
    assert reference_field_for("UserTeamModel") == "user_team_id"


def test_shortened_identifiers_fit_postgres_and_stay_distinct() -> None:
    first = shorten_identifier("ix_" + "a" * 80 + "_one")
    second = shorten_identifier("ix_" + "a" * 80 + "_two")
    assert len(first.encode()) <= MAX_IDENTIFIER_BYTES
    assert first != second
    assert first == shorten_identifier("ix_" + "a" * 80 + "_one")  # deterministic


def test_shortening_counts_utf8_bytes_not_characters() -> None:
    name = "ix_" + "é" * 40
    short = shorten_identifier(name)
    assert len(short.encode("utf-8")) <= MAX_IDENTIFIER_BYTES
    short.encode("utf-8").decode("utf-8")  # never cuts a character in half


def test_convention_names_unnamed_constraints_and_keeps_explicit_ones() -> None:
    metadata = sa.MetaData(naming_convention=naming_convention())
    sa.Table("users", metadata, sa.Column("id", sa.Integer, primary_key=True))
    table = sa.Table(
        "documents",
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.ForeignKey("users.id")),
        sa.Column("code", sa.String, unique=True),
        sa.Column("title", sa.String, index=True),
        sa.CheckConstraint("length(code) = 3", name="ck_ledgers_currency_len"),
        sa.CheckConstraint("id > 0"),
    )
    names = {c.name for c in table.constraints} | {i.name for i in table.indexes}
    assert {"pk_documents", "fk_documents_user_id", "uq_documents_code", "ix_documents_title"} <= names
    assert "ck_ledgers_currency_len" in names  # explicit: never rewritten
    assert any(name.startswith("ck_documents_") for name in names if name != "ck_ledgers_currency_len")
