"""Value types and rules with no I/O."""
