"""Repository-wide pytest setup: notebook kernels (nbval) start with a fixed hash seed.

A printed set of strings differs between runs without it, and nbval compares outputs exactly.
The kernels inherit this process's environment, so setting it here is enough.
"""

import os

os.environ.setdefault("PYTHONHASHSEED", "0")
