"""The embedded broker (shop/broker.py): messages appear whole, damaged ones never stop a worker."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kombu import Connection

from tests.conftest import BASE_DIR, stop_process, wait_until

TRANSPORT = "shop.broker:Transport"


@pytest.fixture
def broker_options(tmp_path) -> dict[str, str]:
    """The embedded broker's transport options (as in settings), in a folder of this test."""
    folder = tmp_path / "broker"
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "staging_folder": str(folder / "staging"),
        "rejected_folder": str(folder / "rejected"),
        "store_processed": False,
        "polling_interval": 0.1,
    }


def connect(options: dict[str, str]) -> Connection:
    return Connection("filesystem://", transport=TRANSPORT, transport_options=options)


def test_settings_select_the_atomic_transport_for_the_embedded_broker(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; "
            "print(settings.CELERY_BROKER_URL, settings.CELERY_BROKER_TRANSPORT)",
        ],
        cwd=BASE_DIR,
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "shop.settings.base",
            "DEBUG": "true",
            "SHOP_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.split() == ["filesystem://", TRANSPORT]


def test_a_message_is_whole_the_moment_it_appears_in_the_queue(broker_options):
    # A producer in another process puts messages while this one reads every file the moment
    # it shows up, as a polling consumer does.
    script = (
        "import sys, json\n"
        "from kombu import Connection\n"
        f"with Connection('filesystem://', transport={TRANSPORT!r},\n"
        "                transport_options=json.loads(sys.argv[1])) as connection:\n"
        "    queue = connection.SimpleQueue('race')\n"
        "    for number in range(2000):\n"
        "        queue.put({'number': number})\n"
    )
    with connect(broker_options) as connection:
        connection.SimpleQueue("race").close()  # creates the folders
    queue_folder = Path(broker_options["data_folder_in"])
    producer = subprocess.Popen(
        [sys.executable, "-c", script, json.dumps(broker_options)], cwd=BASE_DIR
    )
    seen: set[str] = set()
    unreadable: list[str] = []
    while True:
        finished = producer.poll() is not None
        for name in os.listdir(queue_folder):
            if name not in seen:
                seen.add(name)
                try:
                    json.loads((queue_folder / name).read_bytes())
                except ValueError:
                    unreadable.append(name)
        if finished:
            break

    assert producer.returncode == 0
    assert len(seen) == 2000
    assert unreadable == []
    assert os.listdir(broker_options["staging_folder"]) == []


def test_a_message_that_cannot_be_decoded_is_set_aside_and_logged(broker_options, caplog):
    with connect(broker_options) as connection:
        queue = connection.SimpleQueue("orders")
        queue.put({"the": "message"})
        queue_folder = Path(broker_options["data_folder_in"])
        # Older names than the good message's, so a consumer meets them first.
        (queue_folder / "000000000000000_empty.orders.msg").write_bytes(b"")
        (queue_folder / "000000000000001_garbage.orders.msg").write_bytes(b"{not json")
        (queue_folder / "000000000000002_list.orders.msg").write_bytes(b"[1, 2]")
        (queue_folder / "000000000000003_nobody.orders.msg").write_bytes(b'{"body": "x"}')

        with caplog.at_level(logging.ERROR, logger="shop.broker"):
            message = queue.get(timeout=2)
        message.ack()

        assert message.payload == {"the": "message"}
        with pytest.raises(queue.Empty):
            queue.get(timeout=0.2)
        queue.close()

    assert sorted(os.listdir(broker_options["rejected_folder"])) == [
        "000000000000000_empty.orders.msg",
        "000000000000001_garbage.orders.msg",
        "000000000000002_list.orders.msg",
        "000000000000003_nobody.orders.msg",
    ]
    rejections = [r for r in caplog.records if r.name == "shop.broker"]
    assert len(rejections) == 4
    assert all(r.levelno == logging.ERROR for r in rejections)
    assert "000000000000000_empty.orders.msg" in rejections[0].getMessage()
    assert os.listdir(queue_folder) == []


def test_a_damaged_exchange_table_is_rewritten_by_the_next_bind(broker_options):
    control = Path(broker_options["control_folder"])
    control.mkdir(parents=True)
    # Created, never written; a queue name no other test in this process has bound.
    (control / "refunds.exchange").write_bytes(b"")

    with connect(broker_options) as connection:
        queue = connection.SimpleQueue("refunds")
        queue.put({"the": "message"})
        message = queue.get(timeout=2)
        message.ack()
        queue.close()

    assert message.payload == {"the": "message"}
    # Routing key, pattern (none for a direct exchange), queue.
    assert json.loads((control / "refunds.exchange").read_bytes()) == [["refunds", "", "refunds"]]


def test_bindings_made_at_once_by_several_processes_are_all_kept(broker_options):
    script = (
        "import sys, json\n"
        "from kombu import Connection, Exchange, Queue\n"
        f"with Connection('filesystem://', transport={TRANSPORT!r},\n"
        "                transport_options=json.loads(sys.argv[1])) as connection:\n"
        "    exchange = Exchange('broadcast', type='fanout')\n"
        "    for number in range(20):\n"
        "        Queue(f'{sys.argv[2]}-{number}', exchange)(connection.default_channel).declare()\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, json.dumps(broker_options), f"p{index}"],
            cwd=BASE_DIR,
        )
        for index in range(4)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0, 0]

    table = json.loads((Path(broker_options["control_folder"]) / "broadcast.exchange").read_bytes())
    assert sorted(row[2] for row in table) == sorted(
        f"p{index}-{number}" for index in range(4) for number in range(20)
    )


def test_describing_a_connection_does_not_warn_about_a_hostname(broker_options, caplog):
    with caplog.at_level(logging.WARNING), connect(broker_options) as connection:
        connection.clone().release()
        connection.as_uri()

    assert [r.getMessage() for r in caplog.records] == []


@pytest.mark.worker
def test_thousands_of_messages_from_several_processes_run_once_each_in_a_real_worker(tmp_path):
    """Four producers, one worker with two pool processes, all on the embedded broker."""
    producers, per_producer = 4, 750
    delivered = tmp_path / "delivered"
    delivered.mkdir()
    var_dir = tmp_path / "var"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shop.settings.test",
        "CELERY_BROKER_URL": "filesystem://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "SHOP_VAR_DIR": str(var_dir),
    }
    log_path = tmp_path / "worker.log"
    worker_command = [
        *(sys.executable, "-m", "celery", "-A", "shop", "worker", "--loglevel", "INFO"),
        *("--concurrency", "2", "--include", "tests.shop.worker_tasks"),
        *("--hostname", f"stress-{os.getpid()}@%h"),
    ]
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            worker_command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        assert wait_until(lambda: "ready." in log_path.read_text(), timeout=120), (
            log_path.read_text()
        )
        producer_processes = [
            subprocess.Popen(
                [
                    *(sys.executable, "-m", "tests.shop.worker_tasks"),
                    *(str(delivered), f"p{index}", str(per_producer)),
                ],
                cwd=BASE_DIR,
                env=env,
            )
            for index in range(producers)
        ]
        # Damaged files mid-stream, as a torn write would leave them: the worker must go on.
        queue_folder = var_dir / "broker" / "queue"
        (queue_folder / "000000000000000_empty.celery.msg").write_bytes(b"")
        (queue_folder / "000000000000001_torn.celery.msg").write_bytes(b'{"body": "eyJ')
        assert [process.wait(timeout=300) for process in producer_processes] == [0] * producers

        expected = {
            f"p{index}-{number}" for index in range(producers) for number in range(per_producer)
        }
        wait_until(
            lambda: worker.poll() is not None or len(os.listdir(delivered)) >= len(expected),
            timeout=600,
        )
        assert worker.poll() is None, "the worker died"
    finally:
        stop_process(worker)
        print(log_path.read_text()[-5000:])  # shown by pytest when the test failed
    log = log_path.read_text()

    assert set(os.listdir(delivered)) == expected  # none lost, none run twice
    assert "Unrecoverable error" not in log
    assert "CRITICAL" not in log
    assert log.count("Rejected a broker message that cannot be decoded") == 2
    assert sorted(os.listdir(var_dir / "broker" / "rejected")) == [
        "000000000000000_empty.celery.msg",
        "000000000000001_torn.celery.msg",
    ]
    assert os.listdir(queue_folder) == []
