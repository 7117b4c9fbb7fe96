"""Zarr v3 codecs that virtual datasets need and zarr does not ship.

``numcodecs.grib``: a GRIB2 message as a chunk (what kerchunk's GRIB scanner
references, one chunk per message), decoded by kerchunk's ``GRIBCodec``
(which uses eccodes). Registered with zarr when this package is imported; kerchunk
is imported only when such a chunk is first decoded.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from zarr.abc.codec import ArrayBytesCodec
from zarr.core.array_spec import ArraySpec
from zarr.core.buffer import Buffer, NDBuffer
from zarr.registry import register_codec

from arraylake_nb.errors import VirtualDatasetError

GRIB_CODEC = "numcodecs.grib"


@dataclass(frozen=True)
class GribCodec(ArrayBytesCodec):
    """Decodes a chunk holding one GRIB2 message into the message's values (read only).

    Parameters
    ----------
    configuration
        kerchunk's ``GRIBCodec`` settings (``var``, ``dtype``).
    """

    configuration: dict[str, Any] = field(default_factory=dict)
    is_fixed_size = False

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GribCodec:
        """The codec described by a zarr.json codec entry."""
        return cls(dict(data.get("configuration") or {}))

    def to_dict(self) -> dict[str, Any]:
        """The zarr.json codec entry."""
        return {"name": GRIB_CODEC, "configuration": dict(self.configuration)}

    def _codec(self) -> Any:
        from kerchunk.codecs import GRIBCodec

        config = {k: v for k, v in self.configuration.items() if k != "id"}
        return GRIBCodec(**config)

    async def _decode_single(self, chunk_bytes: Buffer, chunk_spec: ArraySpec) -> NDBuffer:
        values = await asyncio.to_thread(self._codec().decode, chunk_bytes.to_bytes())
        out = values.reshape(chunk_spec.shape).astype(chunk_spec.dtype.to_native_dtype(), copy=False)
        return chunk_spec.prototype.nd_buffer.from_ndarray_like(out)

    async def _encode_single(self, chunk_array: NDBuffer, chunk_spec: ArraySpec) -> Buffer | None:
        # Ours, not zarr's NotImplementedError: the user gets the product's error with the way out.
        raise VirtualDatasetError(
            "GRIB chunks are read only: write into the array and the new chunks need another codec; "
            "copy the data into a new array instead."
        )

    def compute_encoded_size(self, input_byte_length: int, chunk_spec: ArraySpec) -> int:
        """Unknown in advance (GRIB packing varies)."""
        raise NotImplementedError


register_codec(GRIB_CODEC, GribCodec)
