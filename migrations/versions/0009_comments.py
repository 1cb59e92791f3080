"""comments on document versions, replies, and inspectors' private notes

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_org", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], ondelete="CASCADE",
                                name=op.f("fk_document_comments_document_id_documents")),
        sa.ForeignKeyConstraint(["version_id"], ["document_versions.id"], ondelete="CASCADE",
                                name=op.f("fk_document_comments_version_id_document_versions")),
        sa.ForeignKeyConstraint(["parent_id"], ["document_comments.id"], ondelete="CASCADE",
                                name=op.f("fk_document_comments_parent_id_document_comments")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_document_comments_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_comments")),
    )
    op.create_index(op.f("ix_document_comments_document_id"), "document_comments",
                    ["document_id"])
    op.create_index(op.f("ix_document_comments_parent_id"), "document_comments", ["parent_id"])


def downgrade():
    op.drop_index(op.f("ix_document_comments_parent_id"), table_name="document_comments")
    op.drop_index(op.f("ix_document_comments_document_id"), table_name="document_comments")
    op.drop_table("document_comments")
