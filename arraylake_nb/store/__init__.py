"""The zarr adapter: a zarr-python 3 Store over a session, and the tutorial's Group.

Everything zarr-specific lives here; the engine below knows nothing of zarr.
"""

from arraylake_nb.store._group import Group, root_group
from arraylake_nb.store._store import ArraylakeStore, Checkout, CheckoutStore

__all__ = ["ArraylakeStore", "Checkout", "CheckoutStore", "Group", "root_group"]
