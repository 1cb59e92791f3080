"""Evidence forwarded by consortia and partners to a local authority, which accepts it into its
Provider Area or declines it. Partners never write into an authority's room themselves."""
