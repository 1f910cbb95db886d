"""Interchange with the outside world: IX-F Member Export JSON and PeeringDB data.

- ``ixf_export.export_ixf`` writes the registry as IX-F Member Export JSON 1.0.
- ``ixf_import`` reads IX-F JSON 1.0, 0.7 and 0.6; ``peeringdb_import`` reads PeeringDB API JSON.

Both importers work in three steps: parse and validate the document (pure), map it to an
``ImportPlan`` (pure, every problem collected), then ``apply.apply_plan`` checks the plan against
the registry and writes it inside the caller's transaction. Importing the same document twice
changes nothing the second time; an import never deletes anything.
"""
