"""Test helpers shipped with the library: the brute-force gradient oracle."""
