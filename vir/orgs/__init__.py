"""Organisations (Estyn, local authorities, consortia, partners) and inspector assignments."""
