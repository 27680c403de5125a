"""gunicorn settings of bench_api (`--config python:bench.gunicorn_hooks`): each worker
writes its lock-time samples (bench/lock_times.py) when it exits."""


def worker_exit(server, worker):
    from bench import lock_times

    lock_times.dump()
