"""(filled in by the cores / rules / engines change)."""
