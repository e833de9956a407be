"""Build ``data/production.sqlite3``: the sample application's "production" database.

The schema comes from the hand-written models in ``data/sample_app/DB_*.py`` (loaded in isolation
with dbkit's codebase loader), the rows from a seeded ``random.Random(42)`` and fixed timestamps:
no wall clock, no ``uuid4``, so every run writes the same rows (``dump_checksum`` proves it).
A few rows hold what a database that grew up on SQLite collects (:data:`ANOMALIES`: an over-long
string, an unknown enum label, an e-mail that is not one): ``dbkit validate-data`` finds them.

    python data/make_production_db.py [OUT.sqlite3]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

DATA_DIR = Path(__file__).resolve().parent
SAMPLE_APP = DATA_DIR / "sample_app"
DEFAULT_OUTPUT = DATA_DIR / "production.sqlite3"
SEED = 42
#: Every timestamp is an offset from this instant (naive UTC: SQLite keeps no time zone).
EPOCH = dt.datetime(2021, 1, 4, 9, 0, 0)
SPAN_SECONDS = 3 * 365 * 24 * 3600

USERS = 4_000
TEAMS = 400
FOLDERS = 1_600
DOCUMENTS = 12_000
INVITATIONS = 800
TAGS = 120

FIRST_NAMES = [
    "ada",
    "alan",
    "grace",
    "linus",
    "margaret",
    "dennis",
    "barbara",
    "ken",
    "frances",
    "edsger",
    "radia",
    "guido",
    "anita",
    "bjarne",
    "katherine",
    "niklaus",
    "hedy",
    "donald",
    "sophie",
    "tim",
]
LAST_NAMES = [
    "lovelace",
    "turing",
    "hopper",
    "torvalds",
    "hamilton",
    "ritchie",
    "liskov",
    "thompson",
    "allen",
    "dijkstra",
    "perlman",
    "rossum",
    "borg",
    "stroustrup",
    "johnson",
    "wirth",
    "lamarr",
    "knuth",
]
DOMAINS = ["example.com", "example.org", "acme.test", "corp.test"]
WORDS = [
    "budget",
    "roadmap",
    "design",
    "notes",
    "review",
    "plan",
    "report",
    "draft",
    "spec",
    "minutes",
    "invoice",
    "contract",
    "onboarding",
    "retro",
    "launch",
    "research",
    "metrics",
    "policy",
    "guide",
    "faq",
]
#: Rows a real database collects and SQLite accepts, which the BLL models reject (``dbkit validate-data``
#: finds exactly these): (table, index of the generated row, column, stored value, how it got there).
ANOMALIES: list[tuple[str, int, str, Any, str]] = [
    (
        "users",
        17,
        "fullname",
        "Maria Fernanda de los Angeles Gutierrez-Villanueva y Montenegro, "
        "imported from the legacy CRM with her titles and both family names",
        "over-long: VARCHAR(120) is not enforced by SQLite",
    ),
    ("users", 42, "status", "banned", "unknown enum value: an old release wrote it, UserStatus has no such member"),
    ("users", 99, "email", "ada.lovelace at example.com", "not an e-mail: typed by hand in an admin screen"),
]

ROLES = [
    ("owner", "Full control of the team", True),
    ("admin", "Manages members and settings", True),
    ("member", "Reads and writes documents", True),
    ("viewer", "Reads documents", False),
]


class Generator:
    """Deterministic row factory: one seeded RNG drives every value."""

    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def moment(self, after: dt.datetime = EPOCH) -> dt.datetime:
        remaining = max(1, int((EPOCH + dt.timedelta(seconds=SPAN_SECONDS) - after).total_seconds()))
        return after + dt.timedelta(seconds=self.rng.randrange(remaining))

    def maybe(self, probability: float, value: Any) -> Any:
        return value if self.rng.random() < probability else None

    def audit(self, created_by: str | None = None) -> dict[str, Any]:
        created = self.moment()
        updated = self.moment(created)
        deleted = self.maybe(0.02, self.moment(updated))
        return {
            "created_at": created,
            "created_by_user_id": created_by,
            "updated_at": updated,
            "updated_by_user_id": None,
            "deleted_at": deleted,
            "deleted_by_user_id": created_by if deleted else None,
        }

    def sentence(self, low: int, high: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(self.rng.randint(low, high))).capitalize()

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length):0{length}x}"


def generate_rows(gen: Generator) -> dict[str, list[dict[str, Any]]]:
    """Rows per table, parents before children."""
    rows: dict[str, list[dict[str, Any]]] = {}
    rows["roles"] = [
        {"id": gen.uuid(), "name": name, "description": text, "is_system": system, **gen.audit()}
        for name, text, system in ROLES
    ]
    role_ids = {row["name"]: row["id"] for row in rows["roles"]}
    rows["users"] = [_user(gen, n) for n in range(USERS)]
    user_ids = [row["id"] for row in rows["users"]]
    rows["credentials"] = [row for user_id in user_ids for row in _credentials(gen, user_id)]
    rows["teams"] = [_team(gen, n, gen.rng.choice(user_ids)) for n in range(TEAMS)]
    team_ids = [row["id"] for row in rows["teams"]]
    rows["user_teams"] = _memberships(gen, rows["teams"], user_ids, role_ids)
    rows["invitations"] = [_invitation(gen, team_ids, user_ids, role_ids) for _ in range(INVITATIONS)]
    rows["folders"] = _folders(gen, team_ids)
    rows["tags"] = [
        {"id": n + 1, "name": f"{WORDS[n % len(WORDS)]}-{n // len(WORDS) + 1}", "color": f"#{gen.hex(6)}"}
        for n in range(TAGS)
    ]
    rows["documents"] = _documents(gen, user_ids, rows["folders"])
    rows["document_tags"] = [
        {"document_id": document["id"], "tag_id": tag, "tagged_at": gen.moment(document["created_at"])}
        for document in rows["documents"]
        for tag in sorted(gen.rng.sample(range(1, TAGS + 1), gen.rng.choice([0, 0, 1, 1, 2, 3])))
    ]
    return rows


def plant_anomalies(conn: sa.Connection, metadata: sa.MetaData, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Write the :data:`ANOMALIES` over inserted rows, as plain strings: the hand-written column types
    refuse them (an ``Enum`` checks its labels on the way in); SQLite stores them all the same."""
    for name, index, column, value, _why in ANOMALIES:
        table = metadata.tables[name]
        row = rows[name][index]
        # the row's own values for onupdate columns: an UPDATE would stamp them with the wall clock
        kept = {c.name: row[c.name] for c in table.columns if c.onupdate is not None}
        values = {**kept, column: sa.literal(value, sa.String())}
        conn.execute(table.update().where(table.c.id == row["id"]).values(values))


def _user(gen: Generator, n: int) -> dict[str, Any]:
    first, last = gen.rng.choice(FIRST_NAMES), gen.rng.choice(LAST_NAMES)
    return {
        "id": gen.uuid(),
        "email": f"{first}.{last}.{n}@{gen.rng.choice(DOMAINS)}",
        "fullname": gen.maybe(0.9, f"{first.capitalize()} {last.capitalize()}"),
        "status": gen.rng.choices(["active", "suspended", "deactivated"], weights=[90, 4, 6])[0],
        "locale": gen.rng.choices(["en", "fr", "de", "es", "ja"], weights=[60, 12, 12, 10, 6])[0],
        "avatar_url": gen.maybe(0.3, f"https://cdn.acme.test/a/{gen.hex(12)}.png"),
        "last_login_at": gen.maybe(0.8, gen.moment()),
        **gen.audit(),
    }


def _credentials(gen: Generator, user_id: str) -> Iterator[dict[str, Any]]:
    for kind, probability in (("password", 0.97), ("api_key", 0.2), ("totp", 0.1)):
        if gen.rng.random() < probability:
            yield {
                "id": gen.uuid(),
                "user_id": user_id,
                "kind": kind,
                "secret_hash": gen.hex(40),
                "expires_at": gen.moment() if kind == "api_key" else None,
                **gen.audit(user_id),
            }


def _team(gen: Generator, n: int, owner_id: str) -> dict[str, Any]:
    word = gen.rng.choice(WORDS)
    return {
        "id": gen.uuid(),
        "name": f"{word.capitalize()} team {n}",
        "slug": f"{word}-{n}",
        "description": gen.maybe(0.7, gen.sentence(4, 12)),
        "owner_id": owner_id,
        "max_members": gen.rng.choice([5, 10, 25, 25, 50]),
        **gen.audit(owner_id),
    }


def _memberships(
    gen: Generator, teams: list[dict[str, Any]], user_ids: list[str], role_ids: dict[str, str]
) -> list[dict[str, Any]]:
    pairs: set[tuple[str, str]] = set()
    rows = []
    for team in teams:
        rows.append(_membership(gen, team["owner_id"], team["id"], role_ids["owner"]))
        pairs.add((team["owner_id"], team["id"]))
    for user_id in user_ids:
        for team in gen.rng.sample(teams, gen.rng.choice([0, 1, 1, 1, 2])):
            if (user_id, team["id"]) not in pairs:
                pairs.add((user_id, team["id"]))
                role = gen.rng.choices(["admin", "member", "viewer"], weights=[10, 70, 20])[0]
                rows.append(_membership(gen, user_id, team["id"], role_ids[role]))
    return rows


def _membership(gen: Generator, user_id: str, team_id: str, role_id: str) -> dict[str, Any]:
    return {"id": gen.uuid(), "user_id": user_id, "team_id": team_id, "role_id": role_id, **gen.audit()}


def _invitation(
    gen: Generator, team_ids: list[str], user_ids: list[str], role_ids: dict[str, str]
) -> dict[str, Any]:
    audit = gen.audit(gen.rng.choice(user_ids))
    return {
        "id": gen.uuid(),
        "team_id": gen.rng.choice(team_ids),
        "role_id": role_ids[gen.rng.choice(["member", "viewer"])],
        "email": f"guest.{gen.hex(8)}@{gen.rng.choice(DOMAINS)}",
        "invited_by_user_id": audit["created_by_user_id"],
        "token": gen.hex(43),
        "status": gen.rng.choices(["pending", "accepted", "declined", "expired"], weights=[30, 50, 10, 10])[
            0
        ],
        "expires_at": audit["created_at"] + dt.timedelta(days=14),
        **audit,
    }


def _folders(gen: Generator, team_ids: list[str]) -> list[dict[str, Any]]:
    """A tree per team: each folder's parent is an earlier folder of the same team (or none)."""
    rows: list[dict[str, Any]] = []
    by_team: dict[str, list[str]] = {}
    sibling_count: dict[tuple[str, str | None], int] = {}
    for _ in range(FOLDERS):
        team_id = gen.rng.choice(team_ids)
        candidates = by_team.setdefault(team_id, [])
        parent_id = gen.rng.choice(candidates) if candidates and gen.rng.random() < 0.7 else None
        key = (team_id, parent_id)
        sibling_count[key] = sibling_count.get(key, 0) + 1
        folder_id = gen.uuid()
        rows.append(
            {
                "id": folder_id,
                "name": f"{gen.rng.choice(WORDS).capitalize()} {sibling_count[key]}",
                "parent_id": parent_id,
                "team_id": team_id,
                **gen.audit(),
            }
        )
        candidates.append(folder_id)
    return rows


def _documents(gen: Generator, user_ids: list[str], folders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for _ in range(DOCUMENTS):
        folder = gen.maybe(0.8, gen.rng.choice(folders))
        owner_id = gen.rng.choice(user_ids)
        rows.append(
            {
                "id": gen.uuid(),
                "title": gen.sentence(2, 6),
                "body": gen.maybe(0.6, gen.sentence(3, 10)),
                "folder_id": folder["id"] if folder else None,
                "owner_id": owner_id,
                "team_id": folder["team_id"] if folder else None,
                "visibility": gen.rng.choices(["private", "team", "public"], weights=[40, 50, 10])[0],
                "size_bytes": gen.rng.randrange(0, 2_000_000),
                "version": gen.rng.randint(1, 12),
                **gen.audit(owner_id),
            }
        )
    return rows


def hand_written_metadata() -> sa.MetaData:
    """The sample application's schema, from its DB_*.py files (loaded in isolation)."""
    from dbkit.migrate.source.codebase import load_codebase

    codebase = load_codebase(SAMPLE_APP)
    if codebase.errors:
        raise SystemExit("Cannot load data/sample_app:\n" + "\n".join(map(str, codebase.errors)))
    (metadata,) = codebase.hand_written_metadata()
    return metadata


def build(output: Path = DEFAULT_OUTPUT) -> dict[str, int]:
    """Write the database to ``output`` (replacing it); returns the row count of each table."""
    output = Path(output)
    output.unlink(missing_ok=True)
    metadata = hand_written_metadata()
    rows = generate_rows(Generator())
    engine = sa.create_engine(f"sqlite:///{output}")
    try:
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                conn.execute(sa.schema.CreateTable(table))
            for table in metadata.sorted_tables:
                if rows.get(table.name):
                    conn.execute(table.insert(), rows[table.name])
            plant_anomalies(conn, metadata, rows)
            # After the rows (compact), and by name: ``Table.indexes`` is a set, whose order varies by run.
            for table in metadata.sorted_tables:
                for index in sorted(table.indexes, key=lambda index: str(index.name)):
                    conn.execute(sa.schema.CreateIndex(index))
        with engine.connect() as conn:
            conn.exec_driver_sql("VACUUM")
    finally:
        engine.dispose()
    return {name: len(table_rows) for name, table_rows in sorted(rows.items())}


def row_counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as conn:
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in _tables(conn)}


def dump_checksum(path: Path) -> str:
    """SHA-256 of every table's rows in a fixed order: equal for equal content, whatever the file bytes."""
    digest = hashlib.sha256()
    with sqlite3.connect(path) as conn:
        for name in _tables(conn):
            columns = [row[1] for row in conn.execute(f'PRAGMA table_info("{name}")')]
            order = ", ".join(f'"{column}"' for column in columns)
            digest.update(f"{name}({','.join(columns)})\n".encode())
            for row in conn.execute(f'SELECT {order} FROM "{name}" ORDER BY {order}'):
                digest.update(repr(row).encode())
                digest.update(b"\n")
    return digest.hexdigest()


def _tables(conn: sqlite3.Connection) -> list[str]:
    query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    return [row[0] for row in conn.execute(query)]


def main(argv: list[str]) -> int:
    output = Path(argv[0]) if argv else DEFAULT_OUTPUT
    counts = build(output)
    for name, count in counts.items():
        print(f"{name:15} {count:>7}")
    print(f"total           {sum(counts.values()):>7} rows, {output.stat().st_size / 1e6:.1f} MB")
    print(f"checksum        {dump_checksum(output)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(DATA_DIR.parent))  # run from a checkout without installing dbkit
    raise SystemExit(main(sys.argv[1:]))
