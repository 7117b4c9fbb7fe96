"""Checks shared by the JSON tests of the display layer and of the views."""

from __future__ import annotations

import json
import math
from typing import Any


def strict_json(doc: Any) -> Any:
    """``doc`` survives a strict JSON round trip unchanged, and holds only JSON types."""
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            assert all(isinstance(k, str) for k in v)
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, float):
            assert math.isfinite(v)
        else:
            assert v is None or type(v) in (str, int, bool), type(v)

    walk(doc)
    return doc
