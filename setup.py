"""The compiled part of careflow: the Monte Carlo kernel that follows each child of a baseline run
(src/careflow/model/_children.pyx, docs/decisions/0007). Everything else about the package is in pyproject.toml.
After editing the .pyx, reinstall (`make venv` does when it changed) to rebuild it."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension("careflow.model._children", ["src/careflow/model/_children.pyx"],
               # the same floating-point operations as numpy's, in the same order: no fused multiply-add
               extra_compile_args=["-O3", "-ffp-contract=off"],
               # without a C compiler careflow still installs, and every run takes the numpy engine (slower,
               # the same runs); tests/test_children_kernel.py fails there, so CI cannot lose it unnoticed
               optional=True)],
    compiler_directives={"language_level": 3}))
