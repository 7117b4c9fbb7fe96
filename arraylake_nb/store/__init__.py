"""The zarr adapter: a zarr-python 3 Store over a session, the tutorial's Group, and its Array.

Everything zarr-specific lives here; the engine below knows nothing of zarr.
"""

from arraylake_nb.store import _codecs  # noqa: F401 - registers the codecs virtual datasets use
from arraylake_nb.store._group import Array, Group, root_group
from arraylake_nb.store._store import ArraylakeStore, Checkout, CheckoutStore
from arraylake_nb.store._summary import short_tree

__all__ = ["Array", "ArraylakeStore", "Checkout", "CheckoutStore", "Group", "root_group", "short_tree"]
