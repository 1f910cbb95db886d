"""IRR data: RPSL dumps (``rpsl``), an in-memory index (``store``), AS-SET expansion (``asset``),
an IRRd-protocol client and server (``whois``, ``whois_server``) and a cache (``cache``)."""
