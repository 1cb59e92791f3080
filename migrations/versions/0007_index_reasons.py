"""index reasons as codes; every text extracted again

Reasons were English sentences; they become codes that each reader sees in their own
language. Text extraction changed (ODF text after inline elements, RTF, XLSX shared strings,
OOXML headers, notes and comments, PDF through pypdfium2, scans read by OCR), so every stored
text is marked for extraction again; the search index, renamed, is rebuilt from them.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# the sentences earlier versions stored, and the code each now is
SENTENCES = {
    "extraction took too long": "timeout",
    "the document expands too far": "too_big",
    "the file needs too much memory to read": "memory",
    "the PDF could not be read": "unreadable",
    "no text in this file": "no_text",
}

texts = sa.table("document_texts", sa.column("reason", sa.Text),
                 sa.column("extracted_at", sa.DateTime(timezone=True)))


def upgrade():
    for sentence, code in SENTENCES.items():
        op.execute(texts.update().where(texts.c.reason == sentence).values(reason=code))
    op.execute(texts.update().where(texts.c.reason.like("the file could not be read%"))
               .values(reason="unreadable"))
    op.execute(texts.update().values(extracted_at=None))


def downgrade():
    for sentence, code in SENTENCES.items():
        op.execute(texts.update().where(texts.c.reason == code).values(reason=sentence))
    op.execute(texts.update().where(texts.c.reason == "unreadable")
               .values(reason="the file could not be read"))
