"""Benchmark harness for winback: the product metrics (AWS calls per event / per message, scan
throughput, handler cold start, scan memory versus table size), measured against moto.

Dev-only: no handler imports this package. Run with ``python -m bench``; not part of the tests.
"""
