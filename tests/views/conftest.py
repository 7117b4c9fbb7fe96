from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from json_checks import strict_json as _strict_json


@pytest.fixture
def strict_json() -> Callable[[Any], Any]:
    """Checks that a view's document is strict JSON, and returns it."""
    return _strict_json
