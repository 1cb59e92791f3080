"""Inspectors' comments on documents (and the provider's replies), and their private notes."""
