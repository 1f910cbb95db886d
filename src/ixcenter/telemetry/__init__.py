"""Traffic telemetry: sFlow v5, IPFIX and NetFlow v9 in, decoded in batches.

``decode/`` turns datagrams into columnar batches (no per-sample Python objects on the hot path);
the collector, enrichment, flow store and analytics build on those batches.
"""
