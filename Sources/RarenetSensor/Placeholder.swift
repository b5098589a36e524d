// Placeholder until this module's first type lands; delete when adding one.
