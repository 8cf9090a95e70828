"""Keeping code the site never runs out of its processes' memory.

`defer(name)` puts a module in sys.modules as a lazy module (importlib's
LazyLoader): `from package import module` binds it without running it; the
first attribute read runs it, so code that uses it works as before. (So does
the import system's own read of `__spec__` when a plain `import name` finds
the module in sys.modules: defer only what is imported the `from` way.)

`hide_from(importer, name)` is for a library that imports an optional module
only to probe whether it is there: while `importer` runs its top-level code,
`import name` fails as if the module were not installed. Anywhere else, and
in `importer`'s own functions later, it imports as usual.
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


def hide_from(importer, name):
    # First in line: finders are asked only for a module not in sys.modules yet,
    # so nothing imported before is hidden.
    sys.meta_path.insert(0, _HiddenFrom(importer, name))


class _HiddenFrom:
    def __init__(self, importer, name):
        self.importer = importer
        self.name = name

    def find_spec(self, name, path=None, target=None):
        if name == self.name and _importing(self.importer):
            raise ModuleNotFoundError(f"No module named {name!r} (hidden from {self.importer})", name=name)
        return None  # the other finders find it as usual


def _importing(name):
    """Whether the module is still running its top-level code (the flag the
    import system itself reads to tell a module being imported)."""
    module = sys.modules.get(name)
    return module is not None and getattr(module.__spec__, "_initializing", False)
