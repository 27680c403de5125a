"""The task and the producer of the embedded broker's stress test (test_embedded_broker.py).

The worker imports this module (`--include`) for the task; each producer process runs it
as `python -m tests.shop.broker_stress FOLDER PREFIX COUNT`.
"""

import os
import sys
import uuid
from pathlib import Path

from celery import shared_task

TASK_NAME = "tests.broker_stress.record_delivery"


@shared_task(name=TASK_NAME)
def record_delivery(*, folder: str, key: str) -> None:
    """Leave one file named `key` per delivery; a second delivery leaves `key.again.*`."""
    path = Path(folder) / key
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        handle = os.open(path.with_name(f"{key}.again.{uuid.uuid4().hex}"), os.O_CREAT)
    os.close(handle)


def produce(*, folder: str, prefix: str, count: int) -> None:
    from shop.celery import app

    for number in range(count):
        app.send_task(TASK_NAME, kwargs={"folder": folder, "key": f"{prefix}-{number}"})


if __name__ == "__main__":
    produce(folder=sys.argv[1], prefix=sys.argv[2], count=int(sys.argv[3]))
