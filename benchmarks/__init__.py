"""`make bench`: every benchmarks/bench_*.py module's main() prints ratios measured side by side in one run."""
