"""Performance and tooling, outside the app: load and fault tests, page and import benchmarks,
Lighthouse, screenshots and the article generator, on one harness (perf/harness.py).

Run from the project's root as modules (``python -m perf.loadtest``), as the Makefile does.
"""
