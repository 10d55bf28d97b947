"""Benchmarks (B2 conversation list, B3 live-update latency) on the seeded dataset; see bench/README.md."""
