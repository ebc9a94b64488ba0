import os
import uuid

from strongroom.domain.unique_ids import UniqueIds, unique_id


def test_ids_are_version_4_uuids_and_distinct():
    ids = [unique_id() for _ in range(1000)]
    assert len(set(ids)) == 1000
    assert all(uuid.UUID(i).version == 4 and uuid.UUID(i).variant == uuid.RFC_4122 for i in ids)


def test_two_generators_do_not_collide():
    a, b = UniqueIds(), UniqueIds()
    assert not {a.next() for _ in range(100)} & {b.next() for _ in range(100)}


def test_a_forked_child_starts_elsewhere():
    read, write = os.pipe()
    parent_next = UniqueIds()
    parent_next.next()
    pid = os.fork()
    if pid == 0:
        os.write(write, unique_id().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child_id = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert child_id not in {unique_id() for _ in range(10)}
