// Placeholder until this target's first test lands; delete when adding one.
