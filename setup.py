"""The compiled twins of the client's hottest functions (recorder/client/_speedups.c).

Everything else is in pyproject.toml. The extension is optional: where it cannot be built (no C
compiler) the package installs without it and runs the pure-Python functions it mirrors.
"""
from setuptools import Extension, setup

setup(ext_modules=[Extension("recorder.client._speedups", ["recorder/client/_speedups.c"],
                             optional=True)])
