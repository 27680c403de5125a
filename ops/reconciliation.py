"""Daily reconciliation: does what we booked agree with what providers and gateways report?

What is compared, precisely (all amounts in the provider's currency, our side converted
from the order's `cost` with the provider's current exchange rate, to cents):

- Per-order providers (Digiflazz, FoxReload). For every order whose provider reported
  SUCCESS inside the window (an OrderEvent with `data.status == "SUCCESS"`), what we booked
  (`cost / rate`) against what the provider said it charged in that reply: Digiflazz's
  `price` (the reply that also carries `buyer_last_saldo`, kept with the problem), FoxReload's
  order `totalPrice`. A different charge, or a reply without one, is a problem.
- Balance providers (Hubble). The wallet balance read now against the one stored by the
  previous run: `movement = previous - now` must equal what we booked for the orders reported
  successful between the two readings. The first run only records a baseline. A top-up
  between the readings shows as a negative difference of its amount (finance explains it).
- Gateways. Every gateway order paid inside the window (`paid_at`) must have a callback
  whose signature verified and which was processed (or recognised as a duplicate) with the
  order's code as its reference; `booked` is the sum of those orders' prices and `reported`
  the sum for the ones with such a callback.

Each comparison is one ReconciliationRun; any problem notifies finance staff and is listed
on the operations dashboard.
"""

import logging
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Provider, ProviderKind
from ops.models import ReconciliationKind, ReconciliationRun
from orders.models import Order, OrderEvent, PaymentMethod
from providers.base import ProviderError
from providers.registry import UPSTREAM_ADAPTERS, UnknownProvider, get_adapter
from shop.models import NotificationLevel
from shop.notifications import notify
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
PER_ORDER_PRICE_KEY = {"digiflazz": "price", "foxreload": "totalPrice"}
BALANCE_MOVEMENT_PROVIDERS = {"hubble"}
FINANCE_GROUP = "finance"


def default_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Yesterday, midnight to midnight, in the shop's time zone."""
    today = timezone.localdate(now or timezone.now())
    end = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    return end - timedelta(days=1), end


def _booked(order_cost: Decimal, rate: Decimal) -> Decimal:
    return (order_cost / rate).quantize(CENT, rounding=ROUND_HALF_UP) if rate else order_cost


def _amount(value) -> Decimal | None:
    try:
        return Decimal(str(value)).quantize(CENT) if value not in (None, "") else None
    except (InvalidOperation, ValueError):
        return None


def _success_events(code: str, start: datetime, end: datetime):
    """The first SUCCESS report of each order at `code` inside [start, end)."""
    seen = set()
    events = (
        OrderEvent.objects.filter(
            order__provider_code=code,
            created_at__gte=start,
            created_at__lt=end,
            data__status="SUCCESS",
        )
        .select_related("order")
        .order_by("pk")
    )
    for event in events.iterator(chunk_size=1000):
        if event.order_id not in seen:
            seen.add(event.order_id)
            yield event


def reconcile_provider_orders(*, provider: Provider, start: datetime, end: datetime):
    """Per-order comparison for Digiflazz and FoxReload (see the module docstring)."""
    key = PER_ORDER_PRICE_KEY[provider.code]
    booked_total = reported_total = Decimal("0")
    problems = []
    for event in _success_events(provider.code, start, end):
        booked = _booked(event.order.cost, provider.exchange_rate)
        raw = (event.data or {}).get("raw") or {}
        reported = _amount(raw.get(key))
        booked_total += booked
        problem = {"order": event.order.code, "booked": str(booked)}
        if "buyer_last_saldo" in raw:
            problem["buyer_last_saldo"] = str(raw["buyer_last_saldo"])
        if reported is None:
            problems.append({**problem, "reported": None, "problem": f"no `{key}` in the reply"})
            continue
        reported_total += reported
        if reported != booked:
            problems.append(
                {**problem, "reported": str(reported), "problem": "charged differs from booked"}
            )
    return ReconciliationRun.objects.create(
        kind=ReconciliationKind.PROVIDER,
        code=provider.code,
        window_start=start,
        window_end=end,
        method=f"per order: cost / rate vs `{key}` in the success reply",
        booked=booked_total,
        reported=reported_total,
        difference=reported_total - booked_total,
        ok=not problems,
        problems=problems,
    )


def reconcile_provider_balance(
    *, provider: Provider, balance: Decimal, now: datetime | None = None
) -> ReconciliationRun:
    """Balance-movement comparison for Hubble (see the module docstring)."""
    now = now or timezone.now()
    previous = (
        ReconciliationRun.objects.filter(
            kind=ReconciliationKind.PROVIDER, code=provider.code, balance__isnull=False
        )
        .order_by("-balance_at", "-pk")
        .first()
    )
    fields = {
        "kind": ReconciliationKind.PROVIDER,
        "code": provider.code,
        "window_end": now,
        "method": "balance movement between readings vs cost / rate of orders delivered",
        "balance": balance,
        "balance_at": now,
    }
    if previous is None:
        return ReconciliationRun.objects.create(
            **fields, window_start=now, ok=True, note="First reading: a baseline, nothing compared."
        )
    start = previous.balance_at
    booked = sum(
        (
            _booked(e.order.cost, provider.exchange_rate)
            for e in _success_events(provider.code, start, now)
        ),
        Decimal("0"),
    )
    movement = previous.balance - balance
    difference = movement - booked
    problems = []
    if difference != 0:
        problems.append(
            {
                "problem": "balance moved by a different amount than we booked",
                "balance_before": str(previous.balance),
                "balance_after": str(balance),
                "movement": str(movement),
                "booked": str(booked),
                "hint": "a negative difference of a top-up's amount is that top-up",
            }
        )
    return ReconciliationRun.objects.create(
        **fields,
        window_start=start,
        booked=booked,
        reported=movement,
        difference=difference,
        ok=not problems,
        problems=problems,
    )


def reconcile_gateway_payments(*, start: datetime, end: datetime) -> ReconciliationRun:
    """Gateway orders paid in the window against verified, processed callbacks."""
    paid = list(
        Order.objects.filter(
            payment_method=PaymentMethod.GATEWAY, paid_at__gte=start, paid_at__lt=end
        ).values_list("code", "price")
    )
    with_callback = set(
        WebhookDelivery.objects.filter(
            source=WebhookSource.TRIPAY,
            signature_valid=True,
            outcome__in=(DeliveryOutcome.PROCESSED, DeliveryOutcome.DUPLICATE),
            reference__in=[code for code, _ in paid],
        ).values_list("reference", flat=True)
    )
    problems = [
        {"order": code, "price": str(price), "problem": "paid without a verified callback"}
        for code, price in paid
        if code not in with_callback
    ]
    booked = sum((price for _, price in paid), Decimal("0"))
    reported = sum((price for code, price in paid if code in with_callback), Decimal("0"))
    return ReconciliationRun.objects.create(
        kind=ReconciliationKind.GATEWAY,
        code="tripay",
        window_start=start,
        window_end=end,
        method="gateway orders paid vs verified processed callbacks (tripay and sandbox)",
        booked=booked,
        reported=reported,
        difference=reported - booked,
        ok=not problems,
        problems=problems,
    )


def _read_balance(code: str) -> Decimal:
    return Decimal(get_adapter(code).get_balance().amount)


def reconcile_all(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    balances: dict[str, Decimal] | None = None,
) -> list[ReconciliationRun]:
    """Reconcile every enabled upstream and the gateway for [start, end) (default:
    yesterday); `balances` supplies readings instead of asking the provider. Any run with
    a problem notifies finance staff."""
    if start is None or end is None:
        start, end = default_window()
    balances = balances or {}
    runs = []
    providers = Provider.objects.filter(
        kind=ProviderKind.UPSTREAM, enabled=True, code__in=UPSTREAM_ADAPTERS
    ).order_by("code")
    for provider in providers:
        if provider.code in PER_ORDER_PRICE_KEY:
            runs.append(reconcile_provider_orders(provider=provider, start=start, end=end))
        elif provider.code in BALANCE_MOVEMENT_PROVIDERS:
            try:
                balance = balances.get(provider.code)
                if balance is None:
                    balance = _read_balance(provider.code)
            except (ProviderError, UnknownProvider) as exc:
                runs.append(_unreadable(provider, start, end, exc))
                continue
            runs.append(reconcile_provider_balance(provider=provider, balance=balance))
    runs.append(reconcile_gateway_payments(start=start, end=end))
    differing = [run for run in runs if not run.ok]
    if differing:
        notify_finance(differing)
    return runs


def _unreadable(provider: Provider, start, end, exc) -> ReconciliationRun:
    message = getattr(exc, "message", str(exc))
    return ReconciliationRun.objects.create(
        kind=ReconciliationKind.PROVIDER,
        code=provider.code,
        window_start=start,
        window_end=end,
        method="balance movement between readings",
        ok=False,
        problems=[{"problem": f"balance could not be read: {message}"}],
    )


def notify_finance(runs: list[ReconciliationRun]) -> None:
    """Tell every active member of the finance group (in the app and by e-mail); with no
    such member, all staff."""
    lines = [
        f"{run.code}: {len(run.problems)} problem(s), difference {run.difference}" for run in runs
    ]
    title = f"Reconciliation found {len(runs)} difference(s)"
    message = "\n".join(lines)
    users = get_user_model().objects.filter(groups__name=FINANCE_GROUP, is_active=True)
    data = {"reconciliation_runs": [run.pk for run in runs]}
    if not users:
        notify(title=title, message=message, level=NotificationLevel.WARNING, data=data)
    for user in users:
        notify(user=user, title=title, message=message, level=NotificationLevel.WARNING, data=data)
