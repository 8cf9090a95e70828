"""config.lazy_imports.defer on a package made for each test: its modules run
only when one of their names is first read."""

import sys
import textwrap
import threading

import pytest

from config import lazy_imports

PACKAGE = "deferred_demo"


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package whose __init__ imports its child `heavy` the way redis imports
    redis.asyncio; each module records in `ran` that its code ran."""
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text("ran = []\nfrom deferred_demo import heavy\n")
    (root / "heavy.py").write_text(
        textwrap.dedent("""
            import time
            from deferred_demo import ran
            ran.append("heavy")
            time.sleep(0.2)  # long enough for a second thread to ask meanwhile
            value = 42
        """)
    )
    (root / "broken.py").write_text("from deferred_demo import ran\nran.append('broken')\nraise ImportError('no')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_a_child_deferred_before_its_package_runs_on_first_use(package):
    lazy_imports.defer(f"{PACKAGE}.heavy", before_its_package=True)
    import deferred_demo  # its own `from deferred_demo import heavy` binds the stand-in

    assert deferred_demo.ran == []
    import deferred_demo.heavy as heavy  # a plain import, too

    assert deferred_demo.ran == []
    assert heavy.value == 42
    assert deferred_demo.ran == ["heavy"]
    assert deferred_demo.heavy.value == 42


def test_threads_using_it_at_once_run_it_once(package):
    lazy_imports.defer(f"{PACKAGE}.heavy", before_its_package=True)
    import deferred_demo

    values = []
    threads = [threading.Thread(target=lambda: values.append(deferred_demo.heavy.value)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert values == [42] * 4
    assert deferred_demo.ran == ["heavy"]


def test_a_module_that_fails_fails_at_each_use_as_an_import_would(package):
    lazy_imports.defer(f"{PACKAGE}.broken")  # the package is imported first, as for most modules
    import deferred_demo

    for _ in range(2):
        with pytest.raises(ImportError, match="no"):
            getattr(deferred_demo.broken, "anything")  # noqa: B009 (a read is the point)
    assert deferred_demo.ran == ["heavy", "broken", "broken"]  # heavy: the package, imported eagerly here
