"""The browser harness itself: a cell run as a user would, and code run in the notebook's kernel."""

from __future__ import annotations

import json

from .lab import DARK, LIGHT, REPO_ROOT


def _empty_notebook(path):
    path.write_text(
        json.dumps(
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "execution_count": None,
                        "id": "first",
                        "metadata": {},
                        "outputs": [],
                        "source": "x = 41 + 1",
                    }
                ],
                "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )


def test_cells_and_kernel_round_trip(lab):
    _empty_notebook(lab.server.root_dir / "scratch.ipynb")
    lab.open_notebook("scratch.ipynb")

    cells = lab.run_all()
    assert cells[0].execution_count == 1 and cells[0].outputs == []

    cell = lab.run_new_cell("print('stdout'); x")
    assert [o.output_type for o in cell.outputs] == ["stream:stdout", "execute_result"]
    assert cell.text == "stdout\n42"

    # The kernel sees what the cells did, and the package comes from this checkout.
    result = lab.kernel_execute("import arraylake_nb, pathlib; x, pathlib.Path(arraylake_nb.__file__).parent.parent")
    assert result.raise_for_error().result.startswith("(42, ")
    assert result.result == f"(42, PosixPath('{REPO_ROOT}'))"

    error = lab.kernel_execute("1 / 0")
    assert error.status == "error" and error.error["ename"] == "ZeroDivisionError"

    failing = lab.run_new_cell("raise ValueError('shown')")
    assert failing.tracebacks and "ValueError" in failing.text

    lab.set_theme(DARK)
    assert lab.theme() == DARK
    lab.set_theme(LIGHT)
    assert lab.theme() == LIGHT

    lab.shutdown_kernel()
    assert lab.server.kernels() == []
    lab.close_all()
    assert lab.page.evaluate("() => window.jupyterapp.shell.currentWidget?.context?.path ?? null") is None
