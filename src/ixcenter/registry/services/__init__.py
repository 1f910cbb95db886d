"""Use cases of the registry. Each takes the ``Session`` of one transaction, validates everything,
collecting all problems, and only then writes; on any error the caller's transaction rolls back."""
