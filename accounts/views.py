"""Account pages: sign-up, order history, notifications, the wallet (its ledger, top-ups and
the Shan button)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.forms import OrderFilterForm, SignupForm
from accounts.message_channel import (
    message_channel_set,
    whatsapp_verification_confirm,
    whatsapp_verification_pending,
    whatsapp_verification_start,
)
from accounts.selectors import orders_of, orders_with_revoked_codes
from accounts.services import notifications_mark_read
from orders.checkout import deposit_checkout_create
from providers.base import ProviderError
from shan.launch import (
    shan_launch_available,
    shan_launch_error_message,
    shan_launch_game,
)
from shan.players import shan_may_launch
from shop.errors import ApplicationError
from shop.models import Notification
from shop.ratelimit import rate_limit_hit
from wallets.forms import DEPOSIT_MAX, DEPOSIT_MIN, BankTransferDepositForm, DepositForm
from wallets.models import DepositMethod
from wallets.selectors import deposits_recent, wallet_history
from wallets.services import deposit_create, wallet_for_user


def bank_transfer_allowed(user) -> bool:
    """Count one bank-transfer post against the user's bucket (shop.ratelimit): a burst of
    BANK_TRANSFERS_PER_HOUR, then one every 60 / N minutes."""
    # date_joined: unique across databases sharing one Redis, where ids repeat
    joined = int(user.date_joined.timestamp() * 1_000_000)
    return rate_limit_hit(
        key=f"bank-transfer:{user.pk}:{joined}",
        limit=settings.BANK_TRANSFERS_PER_HOUR,
        period=3600,
    ).allowed


def _bank_transfer_refusal(exc: ApplicationError) -> str:
    if exc.code == "too_many_undecided":
        return _(
            "You already have %(count)s bank transfers waiting for staff to check them. "
            "Please wait until one is decided."
        ) % {"count": exc.extra["count"]}
    return _(exc.message)


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("home")
    status = 400 if request.method == "POST" else 200
    return render(request, "account/signup.html", {"form": form}, status=status)


@login_required
@require_GET
def order_history(request):
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = orders_of(user=request.user, **{k: v for k, v in filters.items() if v})
    page = Paginator(orders, 20).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render(request, "account/orders.html", context)


@login_required
@require_GET
def notifications(request):
    items = Notification.objects.filter(user=request.user).order_by("-created_at", "-pk")
    page = Paginator(items, 30).get_page(request.GET.get("page"))
    # A notice that carried an order's codes says so when the provider took them back.
    codes = [
        note.data["order"]
        for note in page
        if isinstance(note.data, dict) and isinstance(note.data.get("order"), str)
    ]
    revoked = orders_with_revoked_codes(user=request.user, codes=codes)
    return render(request, "account/notifications.html", {"page": page, "revoked_orders": revoked})


@login_required
@require_POST
def notifications_read(request):
    ids = [int(v) for v in request.POST.getlist("id") if v.isascii() and v.isdigit()]
    notifications_mark_read(user=request.user, notification_ids=ids or None)
    return redirect("accounts:notifications")


@login_required
@require_POST
def deposit(request):
    """Start a wallet top-up through the gateway and send the buyer to its payment page."""
    form = DepositForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("accounts:wallet")
    try:
        instructions = deposit_checkout_create(
            user=request.user, amount=form.cleaned_data["amount"]
        )
    except ApplicationError as exc:
        messages.error(request, _(exc.message))
        return redirect("accounts:wallet")
    if instructions.checkout_url:
        return redirect(instructions.checkout_url)
    messages.info(request, _("Pay code: %(code)s") % {"code": instructions.pay_code})
    return redirect("accounts:wallet")


@login_required
@require_POST
def deposit_bank_transfer(request):
    """Record a top-up paid by bank transfer, with its receipt, for staff to approve.
    Refused with a message, storing nothing: past the user's rate limit
    (BANK_TRANSFERS_PER_HOUR) or with BANK_TRANSFER_MAX_UNDECIDED transfers undecided."""
    if not bank_transfer_allowed(request.user):
        messages.error(request, _("Too many bank transfers. Please try again later."))
        return redirect("accounts:wallet")
    form = BankTransferDepositForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("accounts:wallet")
    try:
        deposit_create(
            user=request.user,
            amount=form.cleaned_data["amount"],
            method=DepositMethod.BANK_TRANSFER,
            proof=form.cleaned_data["proof"],
        )
    except ApplicationError as exc:
        messages.error(request, _bank_transfer_refusal(exc))
        return redirect("accounts:wallet")
    messages.info(request, _("Thank you: the top-up is credited once staff have checked it."))
    return redirect("accounts:wallet")


@login_required
@require_http_methods(["GET", "POST"])
def wallet_page(request):
    """The signed-in user's balance and ledger: each row with its reason, reference (the
    order code, or the wager code of a game settlement) and the balance after it.
    POST with action=play_shan launches Shan and sends the player to the game."""
    if request.method == "POST":
        return _play_shan(request)
    wallet = wallet_for_user(user=request.user)
    page = Paginator(wallet_history(wallet=wallet), 50).get_page(request.GET.get("page"))
    context = {
        "wallet": wallet,
        "page": page,
        "deposits": deposits_recent(user=request.user),
        "shan_enabled": shan_launch_available() and shan_may_launch(request.user),
        "deposit_min": DEPOSIT_MIN,
        "deposit_max": DEPOSIT_MAX,
    }
    return render(request, "wallets/wallet.html", context)


def _play_shan(request):
    if (
        request.POST.get("action") != "play_shan"
        or not shan_launch_available()
        or not shan_may_launch(request.user)
    ):
        messages.error(request, _("Shan is not available."))
        return redirect("accounts:wallet")
    try:
        url = shan_launch_game(user=request.user)
    except ProviderError as exc:  # nothing changed; the player reads why
        messages.error(
            request,
            _("Could not start Shan: %(reason)s") % {"reason": shan_launch_error_message(exc)},
        )
        return redirect("accounts:wallet")
    return redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def message_channel(request):
    """Where order messages go: e-mail, or a verified WhatsApp number (a code sent there
    and typed back here)."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "send_code":
                number = whatsapp_verification_start(
                    user=user, number=request.POST.get("whatsapp_number", "")
                )
                messages.success(request, _("We sent a code to %(number)s.") % {"number": number})
            elif action == "confirm":
                whatsapp_verification_confirm(user=user, code=request.POST.get("code", ""))
                messages.success(request, _("Your WhatsApp number is verified."))
            else:
                message_channel_set(user=user, channel=request.POST.get("channel", ""))
                messages.success(request, _("Saved."))
        except ApplicationError as exc:
            messages.error(request, _(exc.message))
        return redirect("accounts:message-channel")
    return render(
        request,
        "account/message_channel.html",
        {"pending_number": whatsapp_verification_pending(user=user)},
    )
