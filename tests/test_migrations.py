"""Every migration runs forwards and backwards, on SQLite and on PostgreSQL, and the models
agree with the migrated schema."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from vir.core.db import db


def test_down_and_up_again(app):
    with app.app_context():
        downgrade(revision="base")
        tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert tables == set()
        upgrade()
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "organisations", "rooms", "folders", "audit_events"} <= tables


def test_models_match_migrations(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
        assert diff == [], diff


def test_joined_folder_names_are_split_into_english_and_welsh(app, world):
    """0011: the names VIR once gave in both languages at once are split in two; a name a
    person chose, slash and all, is left as it is; and downgrading joins them again."""
    folders = sa.table("folders", sa.column("id"), sa.column("name"), sa.column("name_cy"))
    with app.app_context():
        db.session.remove()  # PostgreSQL: no open transaction may hold a lock the DDL needs
        downgrade(revision="0010")
        room = db.session.execute(sa.text("SELECT id FROM rooms LIMIT 1")).scalar_one()
        names = {
            "Improvement conference / Cynhadledd gwella 2027-01-20": (
                "Improvement conference 2027-01-20",
                "Cynhadledd gwella 2027-01-20",
            ),
            "Updated plans after the conference / Cynlluniau wedi’u diweddaru": (
                "Updated plans after the conference",
                "Cynlluniau wedi’u diweddaru",
            ),
            "Records and letters / Cofnodion a llythyrau": (
                "Records and letters",
                "Cofnodion a llythyrau",
            ),
            "Budget / Cyllideb 2027": ("Budget / Cyllideb 2027", None),
        }
        for name in names:
            db.session.execute(
                sa.text(
                    "INSERT INTO folders (room_id, area, name, description, created_at) "
                    "VALUES (:room, 'provider', :name, '', CURRENT_TIMESTAMP)"
                ),
                {"room": room, "name": name},
            )
        db.session.commit()
        upgrade()
        rows = db.session.execute(sa.select(folders.c.name, folders.c.name_cy)).all()
        for joined, split in names.items():
            assert split in rows, (joined, rows)
        db.session.remove()
        downgrade(revision="0010")
        after = set(db.session.execute(sa.text("SELECT name FROM folders")).scalars())
        assert set(names) <= after
        db.session.remove()
        upgrade()
