"""The POSIX shared-memory blocks a test made: for the leak checks of test_multiprocessing and
test_dataloader_workers, which must not count another xdist worker's blocks."""
import os


def shm_blocks(tag):
    """The /dev/shm blocks (`al_<tag>_<pid>_<n>`) this process or a process that has ended made (its children):
    not those of another process still running, such as another xdist worker."""
    if not os.path.isdir("/dev/shm"):
        return set()
    mine = set()
    for name in os.listdir("/dev/shm"):
        parts = name.split("_")
        if len(parts) == 4 and parts[:2] == ["al", tag] and parts[2].isdigit():
            pid = int(parts[2])
            if pid == os.getpid() or not os.path.exists(f"/proc/{pid}"):
                mine.add(name)
    return mine
