"""Follow-up activities (conferences and visits), their milestones and the papers deadline."""
