"""the PostgreSQL search back end's tables (VIR_SEARCH_BACKEND=postgres)

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # Trusted since PostgreSQL 13: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "search_entries",
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activity", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=64), nullable=False),
        sa.Column("terms", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=False),
        sa.Column(
            "rank_terms", sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql"), nullable=False
        ),
        sa.Column("indexed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_search_entries_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_search_entries")),
    )
    op.create_index(
        op.f("ix_search_entries_uploaded_at"), "search_entries", ["uploaded_at"], unique=False
    )
    op.create_index(
        "ix_search_entries_terms", "search_entries", ["terms"], postgresql_using="gin"
    )
    op.create_table(
        "search_words",
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("word", name=op.f("pk_search_words")),
    )
    op.create_index(
        "ix_search_words_trigrams",
        "search_words",
        ["word"],
        postgresql_using="gin",
        postgresql_ops={"word": "gin_trgm_ops"},
    )


def downgrade():
    op.drop_index("ix_search_words_trigrams", table_name="search_words")
    op.drop_table("search_words")
    op.drop_index("ix_search_entries_terms", table_name="search_entries")
    op.drop_index(op.f("ix_search_entries_uploaded_at"), table_name="search_entries")
    op.drop_table("search_entries")
