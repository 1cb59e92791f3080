"""Documents: upload, versions, download and preview, trash, and the storage reconciler."""
