"""Merge Welsh strings from a Python file of {msgid: msgstr} into the cy catalogue.

Translators usually edit vir/translations/cy/LC_MESSAGES/messages.po directly; this is for
adding many strings at once: python scripts/fill-welsh.py FILE.py
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "vir/translations/cy/LC_MESSAGES/messages.po"

strings = runpy.run_path(sys.argv[1])
with PO.open("rb") as fh:
    catalog = read_po(fh, locale="cy")
for message in catalog:
    if not message.id:
        continue
    key = message.id
    if isinstance(key, tuple):
        if key in strings.get("PLURALS", {}):
            message.string = strings["PLURALS"][key]
            message.flags.discard("fuzzy")
    elif key in strings.get("CY", {}):
        message.string = strings["CY"][key]
        message.flags.discard("fuzzy")
with PO.open("wb") as fh:
    write_po(fh, catalog, omit_header=False, sort_output=True, width=100, no_location=True)
missing = [m.id for m in catalog if m.id and not m.string]
print(f"{len(missing)} untranslated")
for m in missing:
    print("  ", m)
