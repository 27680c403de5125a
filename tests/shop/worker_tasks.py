"""Tasks that only the tests' own real workers run (they start with `--include` of this module).

Each producer process of the embedded broker's stress test runs this module as
`python -m tests.shop.worker_tasks FOLDER PREFIX COUNT`.
"""

import os
import sys
import uuid
from pathlib import Path

from celery import shared_task
from django.core.mail import send_mail

RECORD_DELIVERY = "tests.worker_tasks.record_delivery"
SEND_EMAIL = "tests.worker_tasks.send_email"


@shared_task(name=RECORD_DELIVERY)
def record_delivery(*, folder: str, key: str) -> None:
    """Leave one file named `key` per delivery; a second delivery leaves `key.again.*`."""
    path = Path(folder) / key
    try:
        handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        handle = os.open(path.with_name(f"{key}.again.{uuid.uuid4().hex}"), os.O_CREAT)
    os.close(handle)


@shared_task(name=SEND_EMAIL)
def send_email(*, recipient: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [recipient])


def produce(*, folder: str, prefix: str, count: int) -> None:
    from shop.celery import app

    for number in range(count):
        app.send_task(RECORD_DELIVERY, kwargs={"folder": folder, "key": f"{prefix}-{number}"})


if __name__ == "__main__":
    produce(folder=sys.argv[1], prefix=sys.argv[2], count=int(sys.argv[3]))
