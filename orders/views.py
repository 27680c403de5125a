"""The brand page (its items at the viewer's price, what is unavailable and why, the brand's
instructions) with the checkout form, the checkout (its POST), and the order page with its
live status part."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from catalog.amounts import AMOUNT_STEP
from catalog.input_schemas import schema_fields, validate_customer_input
from catalog.models import Brand
from catalog.page_cache import page_fragment
from catalog.selectors import brand_instructions
from catalog.views import brand_offers, viewer_tier
from orders.account_checks import storefront_rate_limits
from orders.bill_forms import bill_page_context
from orders.checkout import checkout_create, checkout_payment_channels
from orders.checkout_token import checkout_token_issue
from orders.forms import CheckoutForm
from orders.models import Order, OrderStatus
from orders.promotions import brand_flash_sales, order_promotion_preview
from orders.selectors import order_visible_to
from providers.account_check import AccountCheck, account_check, account_check_supported
from providers.simulator_hints import simulator_hint
from shop.errors import ApplicationError
from shop.models import PriceTier
from shop.money import format_money
from wallets.services import wallet_for_user

# The page stops asking for updates once nothing more happens without a person.
FINAL_STATUSES = {
    OrderStatus.SUCCESS,
    OrderStatus.FAILED,
    OrderStatus.REFUNDED,
    OrderStatus.EXPIRED,
    OrderStatus.CANCELLED,
}
PROGRESS = [
    OrderStatus.PENDING_PAYMENT,
    OrderStatus.PAID,
    OrderStatus.PROCESSING,
    OrderStatus.SUCCESS,
]


def brand_page(
    request,
    brand: Brand,
    *,
    form=None,
    status: int = 200,
    initial: dict | None = None,
    checked: dict | None = None,
    promo: dict | None = None,
):
    """Render the brand page; `form` is a bound CheckoutForm with errors after a POST;
    `initial` the account fields typed and `checked` the account check's context (the
    "Check" button without JavaScript); `promo` the promo code's preview ("Apply")."""
    tier = viewer_tier(request.user)
    for_sale, unavailable = brand_offers(brand, tier)
    if form is None:
        form = CheckoutForm(
            brand=brand,
            items=for_sale,
            user=request.user,
            channels=checkout_payment_channels(),
            initial=initial,
        )
    if checked is None and form.is_bound and form.account_check is not None:
        checked = {"check": form.account_check, "check_errors": []}
    wallet = wallet_for_user(user=request.user) if request.user.is_authenticated else None
    page = _brand_page_parts(
        brand=brand,
        for_sale=for_sale,
        unavailable=unavailable,
        form=form,
        wallet=wallet,
        tier=tier,
        checked=checked,
        promo=promo,
    )
    return _render_brand_page(request, page, status=status)


@dataclass(frozen=True)
class BrandPageParts:
    """What a brand page shows of the catalog, without anything of one visitor (no CSRF or
    checkout token): for a guest's GET, the same for every guest of one language (cached)."""

    brand: Brand
    instructions: str
    has_offers: bool
    checkout_fields: str  # the form's inside, after its tokens (HTML)
    unavailable_list: str  # what is not for sale and why (HTML)
    prices: dict[int, Decimal]  # what the checkout token carries: {item id: price shown}


def _brand_page_parts(
    *,
    brand,
    for_sale,
    unavailable,
    form,
    wallet,
    tier,
    checked: dict | None = None,
    promo: dict | None = None,
) -> BrandPageParts:
    checks_accounts = account_check_supported(brand)
    chosen = form.items.get(_int_or_none(form["item"].value()))
    context = {
        "brand": brand,
        "offers": for_sale,
        "form": form,
        "wallet": wallet,
        "tier": tier,
        "has_flexible": any(item.is_flexible for item, _price in for_sale),
        "flexible_chosen": chosen is not None and chosen.is_flexible,
        "amount_step": AMOUNT_STEP,
        "shop_currency": settings.SHOP_CURRENCY,
        "simulator_hint": simulator_hint(
            input_schema=brand.input_schema, checks_accounts=checks_accounts
        ),
        "account_check_supported": checks_accounts,
        **(checked or {}),
        "promo": promo,
    }
    fields = render_to_string("catalog/_checkout_fields.html", context) if for_sale else ""
    return BrandPageParts(
        brand=brand,
        instructions=brand_instructions(brand),
        has_offers=bool(for_sale),
        checkout_fields=mark_safe(fields),  # noqa: S308 (rendered by the template engine)
        unavailable_list=mark_safe(  # noqa: S308 (rendered by the template engine)
            render_to_string("catalog/_unavailable.html", {"unavailable": unavailable})
        ),
        prices={item.pk: price for item, price in for_sale if price is not None},
    )


def _render_brand_page(request, page: BrandPageParts, *, status: int = 200):
    tier = viewer_tier(request.user)
    context = {
        "page": page,
        "brand": page.brand,
        # fresh on every view (the page itself may be cached): price, stock, end
        "flash_sales": [(sale, sale.price_for(tier)) for sale in brand_flash_sales(page.brand)],
        # fresh on every view, also after errors: a refused attempt may have used the last
        "checkout_token": checkout_token_issue(request=request, prices=page.prices),
    }
    return render(request, "catalog/brand.html", context, status=status)


def _guest_brand_page_parts(slug: str, channels: list) -> BrandPageParts | None:
    brand = Brand.objects.select_related("category").filter(slug=slug).first()
    if brand is None:
        return None
    for_sale, unavailable = brand_offers(brand, PriceTier.RETAIL)
    form = CheckoutForm(brand=brand, items=for_sale, user=AnonymousUser(), channels=channels)
    return _brand_page_parts(
        brand=brand,
        for_sale=for_sale,
        unavailable=unavailable,
        form=form,
        wallet=None,
        tier=PriceTier.RETAIL,
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
def brand_detail(request, slug: str):
    """The brand page. A guest's is built once per catalog version, language and payment
    channels (`catalog.page_cache`); the tokens are the guest's own, rendered around it."""
    if request.user.is_authenticated:
        brand = get_object_or_404(Brand.objects.select_related("category"), slug=slug)
        return brand_page(request, brand)
    channels = checkout_payment_channels()
    key = (
        "brand",
        slug,
        tuple(channels),
        settings.SIMULATORS_ENABLED,
        settings.ACCOUNT_CHECKS_ENABLED,
    )
    page = page_fragment(request, key, lambda: _guest_brand_page_parts(slug, channels))
    if page is None:
        raise Http404("No such brand.")
    return _render_brand_page(request, page)


@require_POST
def checkout(request, slug: str):
    """Create the order from the brand page's form; errors re-render the page (400) and
    change nothing. Success goes to the order page (guests: with their token), and so does
    the same form sent again (its checkout token): nothing more is created or charged."""
    brand = get_object_or_404(Brand, slug=slug)
    if request.POST.get("apply_promo"):
        return _promo_preview(request, brand)
    for_sale, _unavailable = brand_offers(brand, viewer_tier(request.user))
    form = CheckoutForm(
        request.POST,
        brand=brand,
        items=for_sale,
        user=request.user,
        channels=checkout_payment_channels(),
        request=request,
    )
    if not form.is_valid():
        return brand_page(request, brand, form=form, status=400)
    user = request.user if request.user.is_authenticated else None
    try:
        order = checkout_create(purchase=form.purchase(user=user))
    except ApplicationError as exc:
        form.add_service_errors(exc.extra.get("fields") or {})
        if not exc.extra.get("fields"):
            form.add_error(None, _checkout_refusal(exc))
        return brand_page(request, brand, form=form, status=400)
    if order.user_id is None:
        remember_guest_order(session=request.session, order=order)
    return redirect(order_page_path(order))


def _promo_preview(request, brand: Brand):
    """The checkout's "Apply" (promo code): the brand page again with what was typed and
    the chosen item's price with the code, or why the code does not apply. Nothing is
    created; the order takes the same quote when it is bought."""
    user = request.user if request.user.is_authenticated else None
    for_sale, _unavailable = brand_offers(brand, viewer_tier(request.user))
    items = {item.pk: item for item, _price in for_sale}
    item = items.get(_int_or_none(request.POST.get("item")))
    code = request.POST.get("promo_code", "").strip()[:40]
    promo: dict = {"code": code}
    if item is None:
        promo["error"] = _("Choose an item first, then apply the code.")
    elif not code:
        promo["error"] = _("Type a promo code first.")
    else:
        try:
            amount = Decimal(request.POST.get("amount") or "0") or None
            quote = order_promotion_preview(
                item=item,
                user=user,
                code=code,
                amount=amount if item.is_flexible else None,
                guest_email=request.POST.get("buyer_email", "").strip(),
                guest_phone=request.POST.get("buyer_whatsapp", "").strip(),
            )
            promo.update(price=quote.price, list_price=quote.list_price, item=item)
        except ApplicationError as exc:
            promo["error"] = _(exc.message)
        except ArithmeticError:
            promo["error"] = _("Please correct the amount.")
    initial = {
        name: value
        for name, value in request.POST.items()
        if name not in ("csrfmiddlewaretoken", "checkout_token", "apply_promo")
    }
    return brand_page(request, brand, initial=initial, promo=promo)


@require_POST
def account_check_view(request, slug: str):
    """The brand page's "Check": whose account the typed fields name, before anything is
    chosen or paid. htmx gets the result alone; without JavaScript the brand page comes
    back with the fields as typed and the result under them. Counts against the address's
    account-check limit (only checks that reach a provider)."""
    brand = get_object_or_404(Brand, slug=slug)
    typed = {
        spec.name: request.POST.get(spec.name, "") for spec in schema_fields(brand.input_schema)
    }
    checked = storefront_account_check(request, brand=brand, typed=typed)
    if request.headers.get("HX-Request"):
        return render(request, "catalog/_account_check.html", {"brand": brand, **checked})
    return brand_page(request, brand, initial=typed, checked=checked)


def storefront_account_check(request, *, brand: Brand, typed: dict) -> dict:
    """{"check": AccountCheck or None, "check_errors": [messages]} for the typed fields."""
    try:
        customer = validate_customer_input(schema=brand.input_schema, data=typed)
    except ValidationError as exc:
        errors = [message for messages in exc.message_dict.values() for message in messages]
        return {"check": None, "check_errors": errors}
    result: AccountCheck = account_check(
        brand=brand, fields=customer.fields, rate_limits=storefront_rate_limits(request)
    )
    return {"check": result, "check_errors": []}


# How many guest orders one browser session remembers for the gateway's return.
GUEST_ORDERS_REMEMBERED = 20


def remember_guest_order(*, session, order: Order) -> None:
    """Keep a guest order's link token in the browser's session, so coming back from the
    gateway (whose return address carries no token) leads to the order page."""
    remembered = dict(session.get("guest_orders") or {})
    remembered.pop(order.code, None)
    remembered[order.code] = order.access_token
    session["guest_orders"] = dict(list(remembered.items())[-GUEST_ORDERS_REMEMBERED:])


def _checkout_refusal(exc: ApplicationError) -> str:
    """The refusal in the buyer's words and language (amounts formatted for it)."""
    if exc.code == "insufficient_balance":
        return _("Your wallet has %(balance)s; this costs %(price)s. Top up or pay online.") % {
            "balance": format_money(exc.extra["balance"]),
            "price": format_money(exc.extra["needed"]),
        }
    return _(exc.message)


def order_page_path(order: Order) -> str:
    """The order page on this host (order_public_url is absolute, for e-mails)."""
    path = reverse("orders:detail", args=[order.code])
    return f"{path}?t={order.access_token}" if order.user_id is None else path


def _visible_order(request, code: str) -> Order:
    order = Order.objects.filter(code=code).select_related("user", "product").first()
    if order is None or not order_visible_to(
        order=order, user=request.user, token=request.GET.get("t", "")
    ):
        raise Http404("No such order.")
    return order


def _context(request, order: Order) -> dict:
    reached = PROGRESS.index(order.status) if order.status in PROGRESS else -1
    return {
        "order": order,
        "vouchers": order.vouchers.all(),
        "is_final": order.status in FINAL_STATUSES,
        "token": request.GET.get("t", "") if order.user_id is None else "",
        "steps": [
            (status, OrderStatus(status).label, i <= reached) for i, status in enumerate(PROGRESS)
        ],
        "instructions": order.payment_instructions or {},
    }


@require_GET
def order_detail(request, code: str):
    """The order page: status, codes, payment instructions, refund note; its status part
    asks for updates every 3 s until the order is final."""
    order = _visible_order(request, code)
    context = _context(request, order)
    if order.is_bill:
        context.update(bill_page_context(request, order))
    return render(request, "orders/detail.html", context)


@require_GET
def order_return(request, code: str):
    """Where the gateway sends the buyer after paying: the buyer (signed in, or the browser
    that checked out as a guest) goes on to the order page; anyone else gets a page naming
    nothing about the order and pointing to the link in the order e-mail."""
    order = Order.objects.filter(code=code).first()
    token = (request.session.get("guest_orders") or {}).get(code, "")
    if order is not None and order_visible_to(order=order, user=request.user, token=token):
        return redirect(order_page_path(order))
    return render(request, "orders/return.html")


@require_GET
def order_status(request, code: str):
    """The status part of the order page alone (htmx polls it)."""
    order = _visible_order(request, code)
    response = render(request, "orders/_status.html", _context(request, order))
    response["Cache-Control"] = "no-store"
    return response
