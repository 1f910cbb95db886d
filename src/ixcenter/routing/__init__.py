"""Route servers: IRR and RPKI data, per-member policy, daemon configs and control."""
