"""The source stage: a codebase directory loaded in isolation, its inventory by phase, and parity."""
