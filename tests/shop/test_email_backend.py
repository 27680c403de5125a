"""Without SMTP, e-mail is logged at INFO by `shop.email` (shop/email_backends.py)."""

import logging
import os
import subprocess
import sys

from django.core.mail import send_mail

from tests.conftest import BASE_DIR, stop_process, wait_until
from tests.shop.worker_tasks import SEND_EMAIL

BACKEND = "shop.email_backends.LoggingEmailBackend"


def test_a_message_is_one_info_record_of_the_shop_email_logger(settings, caplog, capsys):
    settings.EMAIL_BACKEND = BACKEND

    with caplog.at_level(logging.INFO, logger="shop.email"):
        sent = send_mail(
            "Reset your password",
            "Open http://127.0.0.1:8000/reset/abc/ to choose a new password.",
            "shop@localhost",
            ["buyer@example.com"],
        )

    assert sent == 1
    (record,) = [r for r in caplog.records if r.name == "shop.email"]
    assert record.levelno == logging.INFO
    text = record.getMessage()
    assert text.startswith("E-mail to buyer@example.com: Reset your password\n")
    assert "Open http://127.0.0.1:8000/reset/abc/ to choose a new password." in text
    assert capsys.readouterr().out == ""


def test_the_default_backend_without_smtp_is_the_logging_one(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.EMAIL_BACKEND)"],
        cwd=BASE_DIR,
        env=embedded_env(tmp_path),
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == BACKEND


def test_an_email_sent_from_a_real_worker_is_logged_not_a_warning(tmp_path):
    env = embedded_env(tmp_path)
    log_path = tmp_path / "worker.log"
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [
                *(sys.executable, "-m", "celery", "-A", "shop", "worker", "--loglevel", "INFO"),
                *("--pool", "solo", "--include", "tests.shop.worker_tasks"),
                *("--without-gossip", "--without-mingle"),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: "ready." in log_path.read_text(), timeout=120), (
            log_path.read_text()
        )
        send = (
            "from shop.celery import app; "
            f"app.send_task({SEND_EMAIL!r}, kwargs={{'recipient': 'buyer@example.com', "
            "'subject': 'Your voucher code', 'body': 'Code: ABCD-1234'})"
        )
        subprocess.run([sys.executable, "-c", send], cwd=BASE_DIR, env=env, check=True)
        assert wait_until(lambda: "Code: ABCD-1234" in log_path.read_text(), timeout=60)
    finally:
        stop_process(worker)
        print(log_path.read_text())  # shown by pytest when the test failed
    log = log_path.read_text()

    assert "INFO shop.email E-mail to buyer@example.com: Your voucher code" in log
    assert "celery.redirected" not in log
    assert "WARNING" not in log


def embedded_env(tmp_path) -> dict[str, str]:
    """`make run`'s environment: DEBUG on, no server named, everything under `tmp_path`."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "DJANGO_SETTINGS_MODULE": "shop.settings.base",
        "DEBUG": "true",
        "SHOP_VAR_DIR": str(tmp_path / "var"),
    }
