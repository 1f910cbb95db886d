"""The ``ixc`` command: one group per noun, tables for people, ``--json`` for scripts."""
