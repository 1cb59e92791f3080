"""After a conference or visit: the record, the outcome (or visit) letter and the briefing,
drafted by inspectors, checked for factual accuracy by the provider, issued final and
released to stakeholders."""
