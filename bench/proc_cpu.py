"""CPU time of processes from /proc (Linux): a gunicorn master and its workers, and the
PostgreSQL backends serving a benchmark's connections. Read before and after a run, the
difference divided by the requests answered is the CPU each request cost there."""

import os
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (all its threads); 0.0 once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # Fields after the command (which may hold spaces) start at field 3; utime and stime
    # are fields 14 and 15.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS_PER_SECOND


def children_of(pid: int) -> list[int]:
    """The direct children of `pid` (gunicorn's workers, nginx's workers)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            children.append(int(entry.name))
    return children


def tree_cpu_seconds(pid: int) -> float:
    """CPU of `pid` and its direct children (a pre-fork server: master and workers)."""
    return process_cpu_seconds(pid) + sum(process_cpu_seconds(c) for c in children_of(pid))


def postgres_backend_pids(*, database: str, exclude: int | None = None) -> list[int]:
    """The server processes of the connections to `database` (but `exclude`, the caller's
    own backend): the web server's pooled connections, which live for the whole run."""
    import psycopg

    from bench._setup import server_url

    with psycopg.connect(server_url(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchall()
    return [pid for (pid,) in rows if pid != exclude]


def readable(pid: int) -> bool:
    """Whether this process may read `pid`'s CPU (PostgreSQL on another host or user: no)."""
    return os.access(f"/proc/{pid}/stat", os.R_OK)
