"""What changed between two versions of a document: a word-level comparison of their text."""
