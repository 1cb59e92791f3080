"""versions and forwards record whether they were virus-scanned and any active content

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("document_versions", "forwards"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("scanned", sa.Boolean(), nullable=True))
            batch_op.add_column(sa.Column("active_content", sa.String(length=128),
                                          server_default="", nullable=False))


def downgrade():
    for table in ("document_versions", "forwards"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("active_content")
            batch_op.drop_column("scanned")
