"""The compiled part of careflow: the Monte Carlo kernel that follows each child of a baseline run
(src/careflow/model/_children.pyx). Everything else about the package is in pyproject.toml."""

from Cython.Build import cythonize
from setuptools import Extension, setup

setup(ext_modules=cythonize(
    [Extension("careflow.model._children", ["src/careflow/model/_children.pyx"],
               # the same floating-point operations as numpy's, in the same order: no fused multiply-add
               extra_compile_args=["-O3", "-ffp-contract=off"])],
    compiler_directives={"language_level": 3}))
