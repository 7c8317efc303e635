"""Row and event ids: version-4 UUIDs, unique across threads and forked processes."""

from __future__ import annotations

import os
import threading
import uuid

from wenze.ids import new_id, new_uuid


def test_ids_are_version_4_uuids_and_do_not_repeat() -> None:
    ids = [new_id() for _ in range(5_000)]  # several refills of the buffer
    assert len(set(ids)) == len(ids)
    for text in ids[:300]:
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text


def test_threads_draw_different_ids() -> None:
    drawn: list[list[uuid.UUID]] = [[] for _ in range(4)]

    def draw(into: list[uuid.UUID]) -> None:
        into.extend(new_uuid() for _ in range(1_000))

    threads = [threading.Thread(target=draw, args=(d,)) for d in drawn]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = [u for d in drawn for u in d]
    assert len(set(every)) == len(every) == 4_000


def test_a_forked_child_does_not_reuse_the_parents_buffer() -> None:
    new_uuid()  # the parent now holds a partly used buffer
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: report its next id and leave at once
        os.write(write_end, new_uuid().bytes)
        os._exit(0)
    os.close(write_end)
    child_id = uuid.UUID(bytes=os.read(read_end, 16))
    os.close(read_end)
    os.waitpid(pid, 0)
    assert child_id != new_uuid()
