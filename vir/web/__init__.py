"""Pages that belong to no one capability: home, language switch, health."""
