"""A folder as one zip: the current version of each paper with a bilingual index."""
