"""Mail: papers-deadline reminders to providers and digests of papers to inspectors, sent by the
task worker through SMTP, each message once."""
