"""Per-member route-server policy: computed in Python from the registry, IRR and RPKI data.

``model`` is the contract between the compiler and the renderers: plain frozen data, no I/O.
"""
