"""The checks behind /healthz: database, broker, and the beat's last heartbeat."""

from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from shop.models import Heartbeat
from shop.services import BEAT_HEARTBEAT


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def check_database() -> CheckResult:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any driver error means "not answering"
        return CheckResult(ok=False, detail=f"{type(exc).__name__}: {exc}")
    return CheckResult(ok=True, detail=connection.vendor)


def check_broker() -> CheckResult:
    broker_url = settings.CELERY_BROKER_URL
    transport = broker_url.split("://", 1)[0]
    try:
        with Connection(
            broker_url,
            transport=settings.CELERY_BROKER_TRANSPORT,
            connect_timeout=2,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        ) as broker:
            broker.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises transport-specific errors
        return CheckResult(ok=False, detail=f"{transport}: {type(exc).__name__}: {exc}")
    return CheckResult(ok=True, detail=transport)


def check_beat() -> CheckResult:
    """Fine when the running beat run's last heartbeat is recent (shop/beat.py)."""
    heartbeat = Heartbeat.objects.filter(name=BEAT_HEARTBEAT).first()
    if heartbeat is None or not heartbeat.run_id:
        return CheckResult(ok=False, detail="no beat run recorded yet: is celery beat running?")
    started = f"the beat started at {heartbeat.started_at.isoformat()}"
    if heartbeat.stopped_at is not None:
        return CheckResult(
            ok=False, detail=f"{started} stopped at {heartbeat.stopped_at.isoformat()}"
        )
    if heartbeat.beat_at is None:
        return CheckResult(ok=False, detail=f"no heartbeat yet from {started}")
    age = (timezone.now() - heartbeat.beat_at).total_seconds()
    detail = f"last heartbeat {age:.0f}s ago at {heartbeat.beat_at.isoformat()}, from {started}"
    return CheckResult(ok=age <= settings.BEAT_HEARTBEAT_MAX_AGE, detail=detail)


def health_report() -> dict:
    checks = {"database": check_database(), "broker": check_broker()}
    # Without a database the heartbeat cannot be read; say so instead of raising.
    checks["beat"] = (
        check_beat() if checks["database"].ok else CheckResult(False, "database unavailable")
    )
    failing = [name for name, result in checks.items() if not result.ok]
    return {
        "status": "ok" if not failing else "error",
        "failing": failing,
        "checks": {name: result.as_dict() for name, result in checks.items()},
    }
