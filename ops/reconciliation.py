# Over 400 lines: one comparison per provider and the gateway, side by side so they stay alike.
"""Daily reconciliation: does what we booked agree with what providers and gateways report?

What is compared, precisely (all amounts in the provider's currency, our side converted
from the order's `cost` with the provider's current exchange rate, to cents):

- Digiflazz and VIP Reseller, per order. For every order it reported SUCCESS inside the
  window (an OrderEvent with `data.status == "SUCCESS"`), what we booked (`cost / rate`)
  against the `price` it said it charged in that reply. A different charge, or a reply
  without one, is a problem.
- Digiflazz, balance chain. Each success reply carries `buyer_last_saldo`, the deposit after
  that transaction was charged: sorted from the highest saldo down (the order they were
  charged in), each must equal the previous one minus its `price`; the chain starts at the
  last saldo reported before the window (the first one in the window is the baseline when
  there is none). A break is a difference: negative when the deposit paid for something
  we did not book (another client on the account, a fee), positive for a top-up or a failed
  pending transaction's money coming back.
- FoxReload, order by order. Every order we placed there inside the window
  (`first_requested_at`, with a FoxReload order id) is read back from FoxReload
  (`GET /api/orders/{id}`): what it charged (`totalPrice` once paid, processing or
  completed; nothing when active, cancelled, failed or a mock) against what we booked
  (`cost / rate` for a delivered order, nothing otherwise). Orders still processing here
  are left for the next run; an order FoxReload does not know or cannot return is a problem.
- Balance providers (Hubble). The wallet balance read now against the one stored by the
  previous run: `movement = previous - now` must equal what we booked for the orders reported
  successful between the two readings. The first run only records a baseline. A top-up
  between the readings shows as a negative difference of its amount (finance explains it).
- Gateways. Every gateway order paid inside the window (`paid_at`) must have a callback
  whose signature verified and which was processed (or recognised as a duplicate) with the
  order's code as its reference, or have been paid on the gateway's own answer to the
  shop's status check (`orders.payment_checks`: its callback was lost); `booked` is the sum
  of those orders' prices and `reported` the sum for the ones with such a word.

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
from orders.models import Order, OrderEvent, OrderStatus, PaymentMethod
from orders.pipeline import order_request_for
from providers.base import ProviderError, ProviderStatus
from providers.registry import UPSTREAM_ADAPTERS, UnknownProvider, get_adapter
from shop.models import NotificationLevel, StaffAlertKind
from shop.notifications import notify
from webhooks.models import DeliveryOutcome, WebhookDelivery, WebhookSource

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = Decimal("0")
PER_ORDER_PRICE_KEY = {"digiflazz": "price", "vipreseller": "price"}
SALDO_CHAIN_PROVIDERS = {"digiflazz"}
ORDER_LOOKUP_PROVIDERS = {"foxreload"}
BALANCE_MOVEMENT_PROVIDERS = {"hubble"}
# FoxReload's order statuses that mean the order was paid from our balance.
FOXRELOAD_CHARGED_STATUSES = {"paid", "processing", "completed"}
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
    """Per-order comparison of a provider's success replies (Digiflazz, VIP Reseller; see
    the module docstring)."""
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


def _saldo_before(code: str, start: datetime) -> Decimal | None:
    """The last `buyer_last_saldo` reported in a success reply before `start`."""
    event = (
        OrderEvent.objects.filter(
            order__provider_code=code,
            created_at__lt=start,
            data__status="SUCCESS",
            data__raw__has_key="buyer_last_saldo",
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    return _amount(event.data["raw"]["buyer_last_saldo"]) if event else None


def reconcile_saldo_chain(*, provider: Provider, start: datetime, end: datetime):
    """Digiflazz's `buyer_last_saldo` as a chain (see the module docstring): `booked` is the
    sum of the prices, `reported` how far the saldo moved, and each break is a problem."""
    links, problems = [], []
    for event in _success_events(provider.code, start, end):
        raw = (event.data or {}).get("raw") or {}
        saldo, price = _amount(raw.get("buyer_last_saldo")), _amount(raw.get("price"))
        if saldo is None or price is None:
            problems.append(
                {"order": event.order.code, "problem": "no `buyer_last_saldo` or `price`"}
            )
            continue
        links.append((saldo, price, event.order.code))
    links.sort(key=lambda link: link[0], reverse=True)  # stable: ties keep the event order
    opening = _saldo_before(provider.code, start)
    note = ""
    if opening is None and links:
        opening = links[0][0] + links[0][1]
        note = f"No saldo before the window: {links[0][2]} starts the chain."
    previous = opening
    for saldo, price, code in links:
        expected = previous - price
        if saldo != expected:
            problems.append(
                {
                    "order": code,
                    "problem": "buyer_last_saldo breaks the chain (previous saldo - price)",
                    "previous_saldo": str(previous),
                    "price": str(price),
                    "expected": str(expected),
                    "buyer_last_saldo": str(saldo),
                    "difference": str(saldo - expected),
                }
            )
        previous = saldo
    booked = sum((price for _, price, _ in links), ZERO)
    moved = (opening - previous) if links else ZERO
    return ReconciliationRun.objects.create(
        kind=ReconciliationKind.PROVIDER,
        code=provider.code,
        window_start=start,
        window_end=end,
        method="buyer_last_saldo chain: each = previous saldo - price",
        booked=booked,
        reported=moved,
        difference=moved - booked,
        balance=previous if links else None,
        ok=not problems,
        problems=problems,
        note=note,
    )


def _charged_by_foxreload(raw: dict) -> Decimal:
    if str(raw.get("status") or "").lower() not in FOXRELOAD_CHARGED_STATUSES:
        return ZERO
    if raw.get("isMock"):
        return ZERO
    return _amount(raw.get("totalPrice")) or ZERO


def reconcile_provider_lookup(
    *, provider: Provider, start: datetime, end: datetime, adapter=None
) -> ReconciliationRun:
    """FoxReload: each order we placed in the window read back from FoxReload (see the
    module docstring)."""
    adapter = adapter or get_adapter(provider.code)
    orders = (
        Order.objects.filter(
            provider_code=provider.code,
            first_requested_at__gte=start,
            first_requested_at__lt=end,
        )
        .exclude(provider_order_id="")
        .order_by("pk")
    )
    booked_total = reported_total = ZERO
    problems, in_flight = [], 0
    for order in orders.iterator(chunk_size=500):
        if order.status == OrderStatus.PROCESSING:
            in_flight += 1
            continue
        booked = (
            _booked(order.cost, provider.exchange_rate)
            if order.status == OrderStatus.SUCCESS
            else ZERO
        )
        booked_total += booked
        problem = {"order": order.code, "status": order.status, "booked": str(booked)}
        result = adapter.check_order(order_request_for(order))
        if result.status in (ProviderStatus.NOT_FOUND, ProviderStatus.UNKNOWN):
            problems.append({**problem, "reported": None, "problem": result.message})
            continue
        raw = result.raw or {}
        reported = _charged_by_foxreload(raw)
        reported_total += reported
        if reported != booked:
            problems.append(
                {
                    **problem,
                    "reported": str(reported),
                    "provider_status": raw.get("status"),
                    "problem": "charged differs from booked",
                }
            )
    return ReconciliationRun.objects.create(
        kind=ReconciliationKind.PROVIDER,
        code=provider.code,
        window_start=start,
        window_end=end,
        method="per order placed: cost / rate vs the order read back (totalPrice if paid)",
        booked=booked_total,
        reported=reported_total,
        difference=reported_total - booked_total,
        ok=not problems,
        problems=problems,
        note=f"{in_flight} order(s) still processing, left for the next run." if in_flight else "",
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
    """Gateway orders paid in the window against verified, processed callbacks (or the
    gateway's answer to a status check)."""
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
    with_callback |= set(
        OrderEvent.objects.filter(
            order__code__in=[code for code, _ in paid], data__via="status_check"
        ).values_list("order__code", flat=True)
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
        method="gateway orders paid vs verified processed callbacks or status checks "
        "(tripay and sandbox)",
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
        if provider.code in SALDO_CHAIN_PROVIDERS:
            runs.append(reconcile_saldo_chain(provider=provider, start=start, end=end))
        if provider.code in ORDER_LOOKUP_PROVIDERS:
            try:
                adapter = get_adapter(provider.code)
            except (ProviderError, UnknownProvider) as exc:
                runs.append(_unreadable(provider, start, end, exc, what="orders"))
                continue
            runs.append(
                reconcile_provider_lookup(provider=provider, start=start, end=end, adapter=adapter)
            )
        if provider.code in BALANCE_MOVEMENT_PROVIDERS:
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


def _unreadable(provider: Provider, start, end, exc, what: str = "balance") -> ReconciliationRun:
    message = getattr(exc, "message", str(exc))
    return ReconciliationRun.objects.create(
        kind=ReconciliationKind.PROVIDER,
        code=provider.code,
        window_start=start,
        window_end=end,
        method="balance movement between readings" if what == "balance" else "orders read back",
        ok=False,
        problems=[{"problem": f"{what} could not be read: {message}"}],
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
    # One event for every person told: each staff chat gets it once, whoever else is told.
    told = {
        "title": title,
        "message": message,
        "level": NotificationLevel.WARNING,
        "data": data,
        "alert": StaffAlertKind.RECONCILIATION,
        "event_key": "reconciliation:" + ",".join(str(run.pk) for run in runs),
    }
    if not users:
        notify(**told)
    for user in users:
        notify(user=user, **told)
