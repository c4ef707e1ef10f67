"""The approved set as one zip, written as it is sent: each file is read and compressed a block at a
time, so memory stays flat however many files there are (the archive is never whole in memory)."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator

BLOCK = 256 * 1024


class _Sink:
    """A write-only file object that hands what was written to the response; having no seek, it makes
    zipfile write each entry's sizes after its data (a data descriptor), as a stream needs."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._written = 0

    def write(self, data) -> int:
        self._chunks.append(bytes(data))
        self._written += len(data)
        return len(data)

    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


def stream(entries: Iterable[tuple[str, str]], storage) -> Iterator[bytes]:
    """The zip of `entries` ((name in the archive, stored name)) as a sequence of byte blocks."""
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, stored in entries:
            with storage.open(stored, "rb") as source, archive.open(name, "w", force_zip64=True) as target:
                while block := source.read(BLOCK):
                    target.write(block)
                    if out := sink.take():
                        yield out
            if out := sink.take():
                yield out
    yield sink.take()
