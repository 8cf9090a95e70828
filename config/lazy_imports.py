"""Keeping code the site never runs out of its processes' memory.

`defer(name)` puts a stand-in for a module in sys.modules: importing it, the
plain way or the `from` way, binds the stand-in without running the module's
code; the first read of one of its names runs it, so code that uses it works
as before. The import system itself reads only `__spec__`, which the stand-in
has from the start (importlib's LazyLoader ran the module on that read). A
package's own child can be deferred too (see defer's `before_its_package`).

`hide_from(importer, name)` is for a library that imports an optional module
only to probe whether it is there: while `importer` runs its top-level code,
`import name` fails as if the module were not installed. Anywhere else, and
in `importer`'s own functions later, it imports as usual.
"""

import importlib.machinery
import importlib.util
import sys
import threading
import types


def defer(name, *, before_its_package=False):
    """before_its_package: for a child its package imports as it loads (redis
    imports redis.asyncio), which must be in place before the package is
    imported; the package then binds it with its own import."""
    if name in sys.modules:
        return
    package, _, child = name.rpartition(".")
    if package and not before_its_package:
        importlib.import_module(package)
    locations = importlib.util.find_spec(package).submodule_search_locations if package else None
    spec = importlib.machinery.PathFinder.find_spec(name, locations)
    if spec is None:
        return  # gone from the library (renamed in an upgrade): nothing to defer
    spec.deferred_lock = threading.RLock()  # held while its code runs
    spec.deferred_running = False
    module = importlib.util.module_from_spec(spec)
    module.__class__ = _Deferred
    sys.modules[name] = module
    if package in sys.modules:
        # Bound on its package, as an import binds a child: `import package.child`
        # then `package.child.name` finds it.
        setattr(sys.modules[package], child, module)


class _Deferred(types.ModuleType):
    """A module whose code has not run yet. Python asks `__getattr__` only for
    names the module does not have: its code, then, on the first such read."""

    def __getattr__(self, attribute):
        spec = self.__spec__
        with spec.deferred_lock:  # another thread waits here until the code has run
            if type(self) is _Deferred and not spec.deferred_running:
                spec.deferred_running = True  # a read from the module's own code while it runs falls through
                try:
                    spec.loader.exec_module(self)
                except BaseException:
                    spec.deferred_running = False  # as a failed import, the next use tries again
                    raise
                self.__class__ = types.ModuleType
        return types.ModuleType.__getattribute__(self, attribute)


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
