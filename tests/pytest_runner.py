"""Runs one pytest module given on the command line (used by Bazel's py_test targets)."""

import os
import sys

import pytest

if __name__ == "__main__":
    # Bazel starts tests in the runfiles tree of the workspace; run from its root so that
    # tests find configs/, examples/ and launch/ as they do under plain pytest.
    workspace = os.path.join(os.environ.get("TEST_SRCDIR", ""), "lru_rtrl")
    if os.path.isdir(workspace):
        os.chdir(workspace)
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
