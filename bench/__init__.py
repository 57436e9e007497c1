"""Benchmarks, run by hand as scripts (see docs/performance.md). A package only so the
type checker tells bench/crypto.py and bench/booth.py from the crypto and booth packages."""
