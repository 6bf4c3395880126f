"""Reading a process's resource use from /proc, for the benchmark groups."""

import os
import pathlib


def peak_rss_mb(pid: int) -> float:
    """A live process's peak resident memory (VmHWM), in MB."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM in /proc/{pid}/status")


def tree_cpu_seconds(pid: int) -> dict[int, tuple[str, float]]:
    """A live process and every descendant: pid -> (command line, CPU seconds used so far,
    user and system)."""
    tick = os.sysconf("SC_CLK_TCK")
    parents, found = {}, {}
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rfind(")") + 2 :].split()  # the name may hold spaces
        parents[int(entry.name)] = int(fields[1])
        found[int(entry.name)] = (command, (int(fields[11]) + int(fields[12])) / tick)
    tree, todo = set(), [pid]
    while todo:
        current = todo.pop()
        tree.add(current)
        todo += [child for child, parent in parents.items() if parent == current]
    return {member: found[member] for member in tree if member in found}
