"""Data: CSV imports, the demonstration data of make run, and synthetic data for the benchmarks."""
