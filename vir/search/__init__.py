"""Full-text search of shared documents: extraction in a sandboxed process, a Whoosh index
kept by the task worker, and results filtered by what the caller may see now."""
