"""folders have a Welsh name beside the English one; the names VIR gave in both languages at
once ("Improvement conference / Cynhadledd gwella 2027-01-20") are split in two

Revision ID: 0011
Revises: 0010
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The pairs VIR has made folders with (vir/activities/operations.py, vir/letters/operations.py),
# as they were joined; only these are split, never a name a person chose.
PAIRS = [
    ("Improvement conference", "Cynhadledd gwella"),
    ("Progress conference", "Cynhadledd cynnydd"),
    ("Monitoring visit", "Ymweliad monitro"),
    ("Follow-up visit", "Ymweliad dilynol"),
    ("Updated plans after the conference", "Cynlluniau wedi’u diweddaru"),
    ("Records and letters", "Cofnodion a llythyrau"),
]

folders = sa.table(
    "folders",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("name_cy", sa.String),
)


def upgrade():
    with op.batch_alter_table("folders") as batch:
        batch.add_column(sa.Column("name_cy", sa.String(length=200), nullable=True))
    conn = op.get_bind()
    for en, cy in PAIRS:
        joined = re.compile(rf"^{re.escape(f'{en} / {cy}')}(?P<rest>( .*)?)$")
        rows = conn.execute(
            sa.select(folders.c.id, folders.c.name).where(
                folders.c.name.like(f"{en} / %")
            )
        ).all()
        for folder_id, name in rows:
            found = joined.match(name)
            if found:
                rest = found.group("rest")
                conn.execute(
                    folders.update()
                    .where(folders.c.id == folder_id)
                    .values(name=f"{en}{rest}", name_cy=f"{cy}{rest}")
                )


def downgrade():
    conn = op.get_bind()
    for en, cy in PAIRS:
        rows = conn.execute(
            sa.select(folders.c.id, folders.c.name, folders.c.name_cy).where(
                folders.c.name.like(f"{en}%"), folders.c.name_cy.like(f"{cy}%")
            )
        ).all()
        for folder_id, name, name_cy in rows:
            rest = name[len(en) :]
            if name_cy == f"{cy}{rest}":
                conn.execute(
                    folders.update()
                    .where(folders.c.id == folder_id)
                    .values(name=f"{en} / {cy}{rest}")
                )
    with op.batch_alter_table("folders") as batch:
        batch.drop_column("name_cy")
