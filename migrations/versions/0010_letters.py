"""records, letters and briefings; their factual-accuracy checks and releases to stakeholders

Revision ID: 0010
Revises: 0009
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("activities") as batch:
        batch.add_column(sa.Column("letters_folder_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_activities_letters_folder_id_folders"),
            "folders",
            ["letters_folder_id"],
            ["id"],
        )
    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("draft_document_id", sa.Integer(), nullable=False),
        sa.Column("shared_document_id", sa.Integer(), nullable=True),
        sa.Column("shared_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("shared_by_id", sa.Integer(), nullable=True),
        sa.Column("check_due_on", sa.Date(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answer_text", sa.Text(), nullable=False),
        sa.Column("answer_document_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("final_version", sa.Integer(), nullable=True),
        sa.Column("final_sent_on", sa.Date(), nullable=True),
        sa.Column("final_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("for_publication", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            ondelete="CASCADE",
            name=op.f("fk_letters_activity_id_activities"),
        ),
        sa.ForeignKeyConstraint(
            ["draft_document_id"],
            ["documents.id"],
            ondelete="CASCADE",
            name=op.f("fk_letters_draft_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["shared_document_id"],
            ["documents.id"],
            ondelete="SET NULL",
            name=op.f("fk_letters_shared_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["answer_document_id"],
            ["documents.id"],
            ondelete="SET NULL",
            name=op.f("fk_letters_answer_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["shared_by_id"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_letters_shared_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_letters_answered_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_letters_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
        sa.UniqueConstraint("activity_id", "kind", name=op.f("uq_letters_activity_id_kind")),
    )
    for column in ("activity_id", "draft_document_id", "shared_document_id", "answer_document_id"):
        op.create_index(op.f(f"ix_letters_{column}"), "letters", [column])
    op.create_table(
        "letter_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letters.id"],
            ondelete="CASCADE",
            name=op.f("fk_letter_releases_letter_id_letters"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            ondelete="CASCADE",
            name=op.f("fk_letter_releases_org_id_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["released_by_id"],
            ["users.id"],
            ondelete="SET NULL",
            name=op.f("fk_letter_releases_released_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letter_releases")),
        sa.UniqueConstraint(
            "letter_id", "org_id", name=op.f("uq_letter_releases_letter_id_org_id")
        ),
    )
    op.create_index(op.f("ix_letter_releases_letter_id"), "letter_releases", ["letter_id"])
    op.create_index(op.f("ix_letter_releases_org_id"), "letter_releases", ["org_id"])


def downgrade():
    op.drop_table("letter_releases")
    op.drop_table("letters")
    with op.batch_alter_table("activities") as batch:
        batch.drop_constraint(op.f("fk_activities_letters_folder_id_folders"), type_="foreignkey")
        batch.drop_column("letters_folder_id")
