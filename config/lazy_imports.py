"""Modules that run on first use instead of on import (importlib's LazyLoader).

A module deferred here is put in sys.modules as a lazy module: `import` and
`from package import module` bind it without running it; the first attribute
read runs it, so code that uses it works as before.
"""

import importlib.util
import sys


def defer(name):
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return  # gone from the library (renamed in an upgrade): nothing to defer
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    # Bound on its package too: `from package import module` would otherwise
    # look the module up by reading one of its attributes, which runs it.
    package, _, child = name.rpartition(".")
    setattr(sys.modules[package], child, module)
