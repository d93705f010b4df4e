"""remove(path): a file, a symbolic link or a directory tree, gone if it
can be.  No side effects on import, so that tests/run.py can use it without
tests/lib/scratch.py's exit and signal handlers."""
import os
import shutil


def remove(path):
    """Removes path: a directory with everything below it (what cannot go
    stays), anything else with unlink; a path already gone or that cannot
    be removed is let be."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            os.unlink(path)
        except OSError:
            pass
