"""RPKI data: VRP files (``vrps``) and RFC 6811 origin validation (``validation``)."""
