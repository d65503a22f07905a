"""Builds the one optional C extension, the PBOC report walk (everything else is in
pyproject.toml). Without Cython, lxml's headers or a C compiler the package still
installs, and the pure-Python reader is used instead."""

from setuptools import Extension, setup


def _extensions() -> list[Extension]:
    try:
        import lxml
        from Cython.Build import cythonize
    except ImportError:
        return []
    walk = Extension(
        "bureau_adapters.pboc._walk",
        ["bureau_adapters/pboc/_walk.pyx"],
        include_dirs=lxml.get_include(),
        optional=True,
    )
    return cythonize([walk], language_level=3, quiet=True)


setup(ext_modules=_extensions())
