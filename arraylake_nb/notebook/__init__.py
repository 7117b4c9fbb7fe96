"""The notebook layer: ``%arraylake`` magics and commit provenance from cells."""

from arraylake_nb.notebook.magics import load_ipython_extension, unload_ipython_extension, use_repo

__all__ = ["load_ipython_extension", "unload_ipython_extension", "use_repo"]
