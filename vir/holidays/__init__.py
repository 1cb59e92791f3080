"""School holidays: each local authority's own term breaks, which the consortium-visit notice
rule does not count (a consortium's are the union of its authorities')."""
