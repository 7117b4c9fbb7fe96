"""Virtual datasets: files referenced in place, chunk by chunk, instead of copied.

The file formats are parsed by maintained parsers (VirtualiZarr's HDF5 and
Zarr parsers, kerchunk's netCDF3, TIFF and GRIB scanners); this module is the
one adapter from what they produce (a VirtualiZarr ``ManifestGroup``, or
kerchunk version-1 references) to this repository's values: a zarr v3
document per node and a :class:`~arraylake_nb.engine.values.VirtualRef` per
chunk, carrying the fingerprint of its source taken when it was referenced.
Chunks a parser holds inline (kerchunk's small values) are stored natively.

Everything is parsed and fingerprinted before anything is written; the nodes
and chunks then land in the session as one batch, so a bad input leaves the
repository unchanged.
"""

from __future__ import annotations

import base64
import io
import json
import os
import secrets
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.session import SessionView
from arraylake_nb.engine.values import ChunkRef, Doc, Value, VirtualRef
from arraylake_nb.errors import NodeExistsError, VirtualDatasetError, VirtualSourceChangedError, VirtualSourceError
from arraylake_nb.storage import ChunkStorage, normalize_location, reader_for

if TYPE_CHECKING:
    from virtualizarr.manifests import ManifestArray, ManifestGroup

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_NETCDF3_MAGICS = (b"CDF\x01", b"CDF\x02", b"CDF\x05")
_INSTALL = "pip install 'arraylake_nb[virtual]'"


def _require(module: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise VirtualDatasetError(
            f"Virtual datasets need {module.split('.')[0]}, which is not installed: {_INSTALL}."
        ) from exc


# -- where sources are -----------------------------------------------------
def _registry(location: str) -> Any:
    """An obstore registry that reaches ``location`` (what VirtualiZarr's parsers read through)."""
    registry_mod = _require("obspec_utils.registry")
    stores = _require("obstore.store")
    parts = urlsplit(location)
    scheme = parts.scheme
    if scheme == "file":
        store = stores.LocalStore()
        prefix = "file://"
    elif scheme in ("http", "https"):
        prefix = f"{scheme}://{parts.netloc}"
        store = stores.HTTPStore.from_url(prefix, client_options={"allow_http": True})
    else:
        prefix = f"s3://{parts.netloc}"
        store = stores.S3Store(parts.netloc, **s3_options())
    return registry_mod.ObjectStoreRegistry({prefix: store})


def s3_options() -> dict[str, Any]:
    """obstore's S3 settings from the standard AWS configuration (environment, ~/.aws files).

    botocore resolves them exactly as the S3 byte-range reader does, so the
    parsers and the readers reach the same server with the same credentials.
    """
    boto3 = _require("boto3")
    session = boto3.session.Session()
    client = session.client("s3")
    options: dict[str, Any] = {"region": client.meta.region_name or "us-east-1"}
    endpoint = client.meta.endpoint_url
    if endpoint and not urlsplit(endpoint).netloc.endswith("amazonaws.com"):
        options["endpoint"] = endpoint
        options["client_options"] = {"allow_http": endpoint.startswith("http://")}
        options["virtual_hosted_style_request"] = False
    creds = session.get_credentials()
    if creds is not None:
        frozen = creds.get_frozen_credentials()
        options["access_key_id"] = frozen.access_key
        options["secret_access_key"] = frozen.secret_key
        if frozen.token:
            options["token"] = frozen.token
    else:
        options["skip_signature"] = True
    return options


def _fingerprint(location: str) -> str:
    return reader_for(location).fingerprint(location)


def _head(location: str, fingerprint: str, n: int = 8) -> bytes:
    return reader_for(location).read(location, 0, n, fingerprint)


# -- what gets written -------------------------------------------------------
@dataclass
class VirtualNodes:
    """Documents and chunk values of a virtual dataset, relative to where it is added.

    Attributes
    ----------
    docs
        Node path (``""`` for the dataset's own group) -> zarr v3 document bytes.
    chunks
        Chunk key relative to the dataset (``"t/c/0/1"``) -> a virtual reference, or inline bytes.
    """

    docs: dict[str, bytes] = field(default_factory=dict)
    chunks: dict[str, VirtualRef | bytes] = field(default_factory=dict)

    @property
    def sources(self) -> set[str]:
        """The locations the virtual chunks point at."""
        return {v.location for v in self.chunks.values() if isinstance(v, VirtualRef)}


def _group_doc(attributes: Mapping[str, Any]) -> bytes:
    from zarr.core.buffer import default_buffer_prototype
    from zarr.core.group import GroupMetadata

    meta = GroupMetadata(attributes=dict(attributes), zarr_format=3)
    return meta.to_buffer_dict(default_buffer_prototype())["zarr.json"].to_bytes()


def _array_doc(metadata: Any) -> bytes:
    from zarr.core.buffer import default_buffer_prototype

    return metadata.to_buffer_dict(default_buffer_prototype())["zarr.json"].to_bytes()


def _chunk_key(metadata: Any, index: tuple[int, ...]) -> str:
    return metadata.chunk_key_encoding.encode_chunk_key(index)


def from_manifest_group(group: ManifestGroup, fingerprints: Callable[[str], str],
                        inline: Mapping[str, Mapping[tuple[int, ...], bytes]] | None = None) -> VirtualNodes:
    """The one adapter: a VirtualiZarr ``ManifestGroup`` as documents and chunk values.

    Parameters
    ----------
    group
        What a parser produced.
    fingerprints
        Location -> the fingerprint of that source (taken once per source).
    inline
        Array path -> chunk index -> bytes, for chunks held inline by kerchunk references.
    """
    out = VirtualNodes()
    _add_group(out, "", group, fingerprints, inline or {})
    return out


def _add_group(out: VirtualNodes, prefix: str, group: ManifestGroup, fingerprints: Callable[[str], str],
               inline: Mapping[str, Mapping[tuple[int, ...], bytes]]) -> None:
    out.docs[prefix] = _group_doc(group.metadata.attributes)
    for name, array in group.arrays.items():
        _check_name(name)
        _add_array(out, zkeys.join(prefix, name) if prefix else name, array, fingerprints,
                   inline.get(zkeys.join(prefix, name) if prefix else name, {}))
    for name, sub in group.groups.items():
        _check_name(name)
        _add_group(out, zkeys.join(prefix, name) if prefix else name, sub, fingerprints, inline)


def _check_name(name: str) -> None:
    if not name or "/" in name or name in (".", ".."):
        raise VirtualDatasetError(f"The source names a node {name!r}, which is not a valid node name.")


def _add_array(out: VirtualNodes, path: str, array: ManifestArray, fingerprints: Callable[[str], str],
               inline: Mapping[tuple[int, ...], bytes]) -> None:
    import numpy as np

    metadata = array.metadata
    out.docs[path] = _array_doc(metadata)
    manifest = array.manifest
    paths = np.asarray(manifest._paths)
    offsets = np.asarray(manifest._offsets)
    lengths = np.asarray(manifest._lengths)
    located: dict[str, tuple[str, str]] = {}
    for index in zip(*np.nonzero(paths != ""), strict=True):
        idx = tuple(int(i) for i in index)
        raw = str(paths[idx])
        if raw not in located:
            loc = normalize_location(raw)
            located[raw] = (loc, fingerprints(loc))
        loc, fp = located[raw]
        out.chunks[f"{path}/{_chunk_key(metadata, idx)}"] = VirtualRef(loc, int(offsets[idx]), int(lengths[idx]), fp)
    for idx, data in inline.items():
        out.chunks[f"{path}/{_chunk_key(metadata, idx)}"] = data


# -- parsing ----------------------------------------------------------------
def _fingerprinter() -> tuple[Callable[[str], str], dict[str, str]]:
    taken: dict[str, str] = {}

    def fingerprint(location: str) -> str:
        if location not in taken:
            taken[location] = _fingerprint(location)
        return taken[location]

    return fingerprint, taken


def _recheck(taken: Mapping[str, str]) -> None:
    # A source rewritten while it was parsed could pair old offsets with new bytes.
    for location, fp in taken.items():
        now = _fingerprint(location)
        if now != fp:
            raise VirtualSourceChangedError(
                f"The source {location} changed while it was being referenced ({fp} -> {now}); "
                "nothing was added. Add it again once it is no longer being written.",
                location=location,
            )


def parse_with(parser: Any, location: str, describes: str, root_is_file: bool = True) -> VirtualNodes:
    """Run a VirtualiZarr parser on ``location`` and adapt its output (sources fingerprinted first).

    Parameters
    ----------
    parser
        A VirtualiZarr parser instance.
    location
        The normalised URI of the file or store.
    describes
        The format's name, for error messages.
    root_is_file
        Whether ``location`` itself is a source (a file, not a store of many).
    """
    fingerprint, taken = _fingerprinter()
    if root_is_file:
        fingerprint(location)
    try:
        store = parser(location, _registry(location))
    except (VirtualDatasetError, VirtualSourceError):
        raise
    except Exception as exc:
        raise VirtualDatasetError(
            f"{location} could not be read as {describes}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    nodes = from_manifest_group(store._group, fingerprint)
    _recheck(taken)
    return nodes


def netcdf_nodes(uri: str | os.PathLike[str], **kwargs: Any) -> VirtualNodes:
    """A netCDF4/HDF5 or netCDF3 file as virtual nodes (kwargs go to the parser)."""
    location = normalize_location(uri)
    magic = _head(location, _fingerprint(location))
    if magic.startswith(_HDF5_MAGIC):
        return hdf_nodes(location, **kwargs)
    if magic[:4] in _NETCDF3_MAGICS:
        if urlsplit(location).scheme != "file":
            return netcdf3_remote_nodes(location, _fingerprint(location), **kwargs)
        netcdf3 = _require("virtualizarr.parsers")
        return parse_with(netcdf3.NetCDF3Parser(**kwargs), location, "netCDF3")
    raise VirtualDatasetError(
        f"{location} is neither a netCDF4/HDF5 nor a netCDF3 file (it starts with {magic!r}); "
        "for other formats use add_virtual_zarr, add_virtual_tiff or add_virtual_grib."
    )


def hdf_nodes(uri: str | os.PathLike[str], **kwargs: Any) -> VirtualNodes:
    """An HDF5 (or netCDF4) file as virtual nodes (kwargs go to VirtualiZarr's ``HDFParser``)."""
    location = normalize_location(uri)
    magic = _head(location, _fingerprint(location))
    if not magic.startswith(_HDF5_MAGIC):
        raise VirtualDatasetError(f"{location} is not an HDF5 file (it starts with {magic!r}).")
    parsers = _require("virtualizarr.parsers")
    return parse_with(parsers.HDFParser(**kwargs), location, "HDF5")


# -- kerchunk references ------------------------------------------------------
def kerchunk_nodes(refs: Mapping[str, Any] | str | os.PathLike[str], **kwargs: Any) -> VirtualNodes:
    """Kerchunk version-1 references (a dict, or a JSON file) as virtual nodes.

    Parameters
    ----------
    refs
        ``{"version": 1, "refs": {...}}`` (or a bare version-0 mapping of keys), or
        the path of a JSON file holding it.
    kwargs
        Options for opening the JSON file (``encoding``).

    Raises
    ------
    VirtualDatasetError
        For ``templates`` or ``gen`` (not supported), another version, or malformed references.
    """
    if isinstance(refs, (str, os.PathLike)):
        path = Path(refs).expanduser()
        try:
            refs = json.loads(path.read_text(encoding=kwargs.get("encoding", "utf-8")))
        except OSError as exc:
            raise VirtualDatasetError(f"Cannot read kerchunk references from {path}: {exc.strerror or exc}.") from exc
        except ValueError as exc:
            raise VirtualDatasetError(f"{path} does not hold JSON kerchunk references: {exc}.") from exc
    if not isinstance(refs, Mapping):
        raise VirtualDatasetError(f"Kerchunk references must be a dict or a JSON file; got {type(refs).__name__}.")
    for unsupported in ("templates", "gen"):
        if refs.get(unsupported):
            raise VirtualDatasetError(
                f"Kerchunk references with {unsupported!r} are not supported (only version 1 without templates "
                "or gen). Expand them first, e.g. with kerchunk's refs_as_store or by regenerating them."
            )
    version = refs.get("version", 0 if "refs" not in refs else 1)
    if version not in (0, 1):
        raise VirtualDatasetError(f"Kerchunk references version {version!r} are not supported (only 0 and 1).")
    entries = dict(refs.get("refs", refs))
    entries = {k: v for k, v in entries.items() if k != "version"}
    return refs_nodes(entries)


def refs_nodes(entries: dict[str, Any]) -> VirtualNodes:
    """Kerchunk reference entries (key -> JSON text, inline value or ``[url, offset, length]``) as nodes."""
    if not entries:
        raise VirtualDatasetError("The kerchunk references are empty.")
    for key in entries:
        if key.startswith("/") or any(part in ("", ".", "..") for part in key.split("/")):
            raise VirtualDatasetError(f"The kerchunk reference key {key!r} is not a valid zarr key.")
    translator = _require("virtualizarr.parsers.kerchunk.translator")
    fingerprint, taken = _fingerprinter()
    try:
        # VirtualiZarr's translator turns 0-d arrays into bare values: they are adapted here.
        scalars = {key.rsplit("/", 1)[0] for key, v in entries.items()
                   if key.endswith("/.zarray") and _json(v).get("shape") == []}
        refs_only, inline = _split_inline({k: v for k, v in entries.items() if k.split("/")[0] not in scalars})
        group = translator.manifestgroup_from_kerchunk_refs({"version": 1, "refs": refs_only})
        nodes = from_manifest_group(group, fingerprint, _inline_indices(inline, group))
        for name in sorted(scalars):
            _add_scalar(nodes, name, entries, translator, fingerprint)
    except (VirtualDatasetError, VirtualSourceError):
        raise
    except Exception as exc:
        raise VirtualDatasetError(f"The kerchunk references are malformed: {type(exc).__name__}: {exc}") from exc
    _recheck(taken)
    return nodes


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, (str, bytes)) else dict(value)


def _add_scalar(nodes: VirtualNodes, name: str, entries: Mapping[str, Any], translator: Any,
                fingerprint: Callable[[str], str]) -> None:
    zarray = _json(entries[f"{name}/.zarray"])
    zattrs = _json(entries.get(f"{name}/.zattrs", "{}"))
    zarray["dimension_names"] = zattrs.pop("_ARRAY_DIMENSIONS", [])
    metadata = translator.from_kerchunk_refs(zarray, zattrs)
    nodes.docs[name] = _array_doc(metadata)
    value = entries.get(f"{name}/0")
    key = f"{name}/{_chunk_key(metadata, ())}"
    if isinstance(value, (str, bytes)):
        nodes.chunks[key] = _decode_inline(value)
    elif isinstance(value, (list, tuple)) and len(value) == 3:
        loc = normalize_location(value[0])
        nodes.chunks[key] = VirtualRef(loc, int(value[1]), int(value[2]), fingerprint(loc))


class SourceFile(io.RawIOBase):
    """A read-only, seekable file over a source's byte-range reader (for parsers that want a file).

    Every read checks the fingerprint taken when the file was opened.
    """

    def __init__(self, location: str, fingerprint: str) -> None:
        super().__init__()
        self.location = location
        self.fingerprint = fingerprint
        self._reader = reader_for(location)
        self._size = self._reader.size(location)
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), max(self._size - self._pos, 0))
        if n <= 0:
            return 0
        data = self._reader.read(self.location, self._pos, n, self.fingerprint)
        buffer[:n] = data
        self._pos += n
        return n


_FSSPEC_PROTOCOL = "arraylake-nb-source"
_OPENED: dict[str, tuple[str, str]] = {}


def _fsspec_url(location: str, fingerprint: str) -> str:
    """An fsspec URL that opens ``location`` as a :class:`SourceFile` (for scanners that call ``fsspec.open``).

    kerchunk's netCDF3 and GRIB scanners open their input with fsspec, whose HTTP and S3
    backends are not dependencies here; this protocol routes them through the byte-range
    readers instead. The scanners write this URL into their references; callers replace it
    with ``location`` afterwards.
    """
    fsspec = _require("fsspec")
    if _FSSPEC_PROTOCOL not in fsspec.registry:
        fsspec.register_implementation(_FSSPEC_PROTOCOL, _source_filesystem(fsspec), clobber=True)
    token = secrets.token_hex(8)
    _OPENED[token] = (location, fingerprint)
    return f"{_FSSPEC_PROTOCOL}://{token}"


def _forget(url: str) -> None:
    _OPENED.pop(url.rsplit("/", 1)[-1], None)


def _source_filesystem(fsspec: Any) -> type:
    class SourceFileSystem(fsspec.AbstractFileSystem):  # type: ignore[misc, name-defined]
        protocol = _FSSPEC_PROTOCOL

        def _open(self, path: str, mode: str = "rb", **kwargs: Any) -> Any:
            location, fingerprint = _OPENED[path.rsplit("/", 1)[-1]]
            return io.BufferedReader(SourceFile(location, fingerprint), buffer_size=1 << 16)

    return SourceFileSystem


def _relocate(refs: dict[str, Any], url: str, location: str) -> dict[str, Any]:
    """``refs`` with ``url`` (or kerchunk's ``{{u}}`` template) replaced by ``location`` in byte-range entries."""
    return {k: ([location, *v[1:]] if isinstance(v, list) and v and v[0] in (url, "{{u}}") else v)
            for k, v in refs.items()}


def netcdf3_remote_nodes(location: str, fingerprint: str, **kwargs: Any) -> VirtualNodes:
    """A netCDF3 file on HTTP or S3, scanned by kerchunk's ``NetCDF3ToZarr`` through a :class:`SourceFile`."""
    netcdf3 = _require("kerchunk.netCDF3")
    url = _fsspec_url(location, fingerprint)
    try:
        refs = netcdf3.NetCDF3ToZarr(url, inline_threshold=0, **kwargs).translate()
    except (VirtualDatasetError, VirtualSourceError):
        raise
    except Exception as exc:
        raise VirtualDatasetError(f"{location} could not be read as netCDF3: {type(exc).__name__}: {exc}") from exc
    finally:
        _forget(url)
    entries = {k: v for k, v in refs.get("refs", refs).items() if k != "version"}
    return refs_nodes(_relocate(entries, url, location))


def zarr_nodes(uri: str | os.PathLike[str], **kwargs: Any) -> VirtualNodes:
    """A Zarr store (format 2; format 3 without sharding works too) as virtual nodes.

    Each chunk of the store is its own source file (or object), fingerprinted one by one.
    """
    location = normalize_location(uri).rstrip("/")
    parsers = _require("virtualizarr.parsers")
    try:
        return parse_with(parsers.ZarrParser(**kwargs), location, "a Zarr store", root_is_file=False)
    except VirtualDatasetError as exc:
        if urlsplit(location).scheme not in ("http", "https"):
            raise
        raise VirtualDatasetError(
            f"{exc} (Zarr stores over HTTP need a server that lists directories, WebDAV PROPFIND; "
            "serve the store from S3-compatible storage or reference a local copy instead)"
        ) from exc


_TIFF_DIMS = {"Y": "Y", "X": "X"}


def tiff_nodes(uri: str | os.PathLike[str], name: str, **kwargs: Any) -> VirtualNodes:
    """A TIFF file (tiled or striped, uncompressed or with a codec numcodecs knows) as virtual nodes.

    Local files are opened directly; HTTP and S3 ones through :class:`SourceFile`.

    The image becomes array ``name`` with dimensions ``Y``, ``X`` (and ``band`` for samples,
    pages or planes); a TIFF with overviews becomes group ``name`` holding arrays ``0``
    (full resolution), ``1``, ``2``, ... Kwargs go to ``tifffile.TiffFile``.
    """
    _check_name(name)
    location = normalize_location(uri)
    fp = _fingerprint(location)
    tifffile = _require("tifffile")
    head, _, file_name = location.rpartition("/")
    source = file_path_of(location) if location.startswith("file:") else io.BufferedReader(
        SourceFile(location, fp), buffer_size=1 << 16)
    try:
        with tifffile.TiffFile(source, name=file_name, **kwargs) as tif, tif.series[0].aszarr() as store:
            out = io.StringIO()
            store.write_fsspec(out, url=head)
    except (OSError, ValueError, TypeError, IndexError) as exc:
        raise VirtualDatasetError(f"{location} could not be read as a TIFF file: {type(exc).__name__}: {exc}") from exc
    refs = json.loads(out.getvalue())
    refs.pop("version", None)
    levels = ".zarray" not in refs
    entries: dict[str, Any] = {".zgroup": json.dumps({"zarr_format": 2})} if not levels else {}
    for key, value in refs.items():
        if key in (".zgroup", ".zattrs") and levels:
            continue  # the multiscales description of tifffile: the arrays say it all
        if key.rsplit("/", 1)[-1] == ".zattrs":
            attrs = json.loads(value)
            attrs["_ARRAY_DIMENSIONS"] = [
                _TIFF_DIMS.get(d.rstrip("0123456789"), "band") for d in attrs.get("_ARRAY_DIMENSIONS", [])]
            value = json.dumps(attrs)
        entries[f"{name}/{key}" if not levels else key] = value
    if levels:
        entries[".zgroup"] = json.dumps({"zarr_format": 2})
    nodes = refs_nodes(entries)
    if _fingerprint(location) != fp:
        raise VirtualSourceChangedError(f"{location} changed while it was being referenced; nothing was added.",
                                        location=location)
    if levels:
        nested = VirtualNodes({"": _group_doc({})})
        nested.docs.update({zkeys.join(name, k) if k else name: v for k, v in nodes.docs.items()})
        nested.chunks.update({zkeys.join(name, k): v for k, v in nodes.chunks.items()})
        return nested
    return nodes


def grib_nodes(uri: str | os.PathLike[str], **kwargs: Any) -> VirtualNodes:
    """A GRIB2 file as virtual nodes: one chunk per message, messages concatenated.

    kerchunk's ``scan_grib`` maps each message (kwargs go to it: ``filter``, ``skip``, ...);
    its ``MultiZarrToZarr`` concatenates them along ``time`` and/or ``step`` (those that
    vary between messages). Chunks are decoded with eccodes when read.
    """
    location = normalize_location(uri)
    fp = _fingerprint(location)
    if _head(location, fp, 4) != b"GRIB":
        raise VirtualDatasetError(f"{location} is not a GRIB file (it does not start with 'GRIB').")
    grib2 = _require("kerchunk.grib2")
    combine = _require("kerchunk.combine")
    url = file_path_of(location) if location.startswith("file:") else _fsspec_url(location, fp)
    try:
        refs = _scan_grib(location, url, grib2, combine, kwargs)
    finally:
        _forget(url)
    entries = {k: v for k, v in refs.get("refs", refs).items() if k != "version"}
    nodes = refs_nodes(_relocate(entries, url, location))
    if _fingerprint(location) != fp:
        raise VirtualSourceChangedError(f"{location} changed while it was being referenced; nothing was added.",
                                        location=location)
    return nodes


def _scan_grib(location: str, url: str, grib2: Any, combine: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """kerchunk references of every message of a GRIB2 file, concatenated into one dataset."""
    try:
        messages = grib2.scan_grib(url, inline_threshold=100, **kwargs)
    except VirtualSourceError:
        raise
    except Exception as exc:
        raise VirtualDatasetError(f"{location} could not be read as GRIB2: {type(exc).__name__}: {exc}") from exc
    if not messages:
        raise VirtualDatasetError(f"{location} holds no GRIB2 message (or none passes the filter).")
    if len(messages) == 1:
        return messages[0]
    first = messages[0]["refs"]
    varying = [c for c in ("time", "step")
               if f"{c}/0" in first and any(m["refs"].get(f"{c}/0") != first[f"{c}/0"] for m in messages)]
    arrays = {k.rsplit("/", 1)[0] for k in first if k.endswith("/.zarray")}
    data_vars = {a for a in arrays if "GRIB_paramId" in _json(first.get(f"{a}/.zattrs", "{}"))}
    identical = sorted(arrays - data_vars - set(varying) - {"valid_time"})
    try:
        return combine.MultiZarrToZarr(messages, concat_dims=varying or ["time"],
                                       identical_dims=identical).translate()
    except VirtualSourceError:
        raise
    except Exception as exc:
        raise VirtualDatasetError(
            f"The messages of {location} could not be concatenated ({type(exc).__name__}: {exc}); "
            "pass filter={...} to add one kind of message at a time."
        ) from exc


def file_path_of(location: str) -> str:
    """The local path of a ``file://`` location."""
    from urllib.parse import unquote

    return unquote(urlsplit(location).path)


def _decode_inline(value: str | bytes) -> bytes:
    if isinstance(value, bytes):
        return value
    if value.startswith("base64:"):
        return base64.b64decode(value[len("base64:"):])
    return value.encode()


def _split_inline(entries: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, bytes]]]:
    """Chunk values held inline (bytes in the references) apart from the byte-range ones."""
    refs: dict[str, Any] = {}
    inline: dict[str, dict[str, bytes]] = {}
    for key, value in entries.items():
        name = key.rsplit("/", 1)[-1]
        is_chunk = not name.startswith(".") and "/" in key
        if is_chunk and isinstance(value, (str, bytes)):
            array, chunk = key.rsplit("/", 1)
            inline.setdefault(array, {})[chunk] = _decode_inline(value)
        else:
            refs[key] = value
    return refs, inline


def _inline_indices(inline: dict[str, dict[str, bytes]], group: ManifestGroup) -> dict[str, dict[tuple[int, ...], bytes]]:
    out: dict[str, dict[tuple[int, ...], bytes]] = {}
    for array, chunks in inline.items():
        if array not in group.arrays:
            raise VirtualDatasetError(f"Inline chunks for {array!r}, which the references do not define.")
        sep = "."
        out[array] = {tuple(int(i) for i in k.split(sep)) if k else (): v for k, v in chunks.items()}
    return out


# -- writing ------------------------------------------------------------------
def write_nodes(state: SessionView, chunks: ChunkStorage, path: str, nodes: VirtualNodes) -> None:
    """Add ``nodes`` at node ``path`` of the session, as one batch.

    Missing parent groups are created. Inline chunks go to the chunk store.

    Raises
    ------
    NodeExistsError
        If a node already exists at ``path``.
    """
    state.check_writable()
    if not path:
        raise VirtualDatasetError("Give the path of a new group for the virtual dataset (not the root group).")
    with state.lock:
        state.sync()
        if state.node_exists(path) or any(True for _ in state.iter_keys(zkeys.dir_prefix(path))):
            raise NodeExistsError(f"{path!r} already exists; delete it first or choose another path.")
        items: list[tuple[str, Value]] = []
        parent = zkeys.split(path)[0]
        missing = []
        while not state.node_exists(parent):
            missing.append(parent)  # up to the root group, as zarr creates them
            if not parent:
                break
            parent = zkeys.split(parent)[0]
        for p in reversed(missing):
            key = zkeys.join(p, zkeys.ZARR_JSON)
            items.append((key, Doc.for_key(key, _group_doc({}))))
        for rel, data in nodes.docs.items():
            key = zkeys.join(zkeys.join(path, rel) if rel else path, zkeys.ZARR_JSON)
            items.append((key, Doc.for_key(key, data)))
        for rel, value in nodes.chunks.items():
            if isinstance(value, bytes):
                value = ChunkRef(chunks.put(value), len(value))
            items.append((zkeys.join(path, rel), value))
        state.set_many(items)


# Sources of the virtual chunks of one manifest chain, per segment cache (segments never change).
_CHAIN_SOURCES: weakref.WeakKeyDictionary[Any, dict[Any, tuple[str, ...]]] = weakref.WeakKeyDictionary()


def array_sources(state: SessionView, path: str) -> tuple[str, ...]:
    """The locations the virtual chunks of array ``path`` point at in this view, sorted (empty: none).

    Committed chunks are scanned once per manifest chain and remembered; an array
    this session wrote chunks of is scanned afresh.
    """
    prefix = zkeys.dir_prefix(path)
    if any(k.startswith(prefix) for k in state.overlay.changes) or state.overlay.deleted_prefixes:
        found = {v.location for k, v in state.iter_items(prefix)
                 if isinstance(v, VirtualRef) and state.owner(k) == path}
        return tuple(sorted(found))
    chain = state.array_chain(path)
    per_cache = _CHAIN_SOURCES.setdefault(state.base.cache, {})
    hit = per_cache.get(chain)
    if hit is None:
        hit = tuple(sorted({v.location for _, v in state.base.manifest(chain).items() if isinstance(v, VirtualRef)}))
        per_cache[chain] = hit
    return hit


def virtual_arrays(state: SessionView, paths: Iterator[str] | list[str] | set[str]) -> dict[str, tuple[str, ...]]:
    """Array path -> its virtual sources, for those of ``paths`` that are arrays with virtual chunks."""
    arrays = state.arrays()
    out = {}
    for p in paths:
        if p in arrays:
            sources = array_sources(state, p)
            if sources:
                out[p] = sources
    return out
