from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from providers.base import ProviderError
from providers.shan.adapter import (
    shan_launch_available,
    shan_launch_error_message,
    shan_launch_game,
)
from providers.shan.players import shan_may_launch
from wallets.forms import DEPOSIT_MAX, DEPOSIT_MIN
from wallets.selectors import deposits_recent, wallet_history
from wallets.services import wallet_for_user


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
        return redirect("wallets:wallet")
    try:
        url = shan_launch_game(user=request.user)
    except ProviderError as exc:  # nothing changed; the player reads why
        messages.error(
            request,
            _("Could not start Shan: %(reason)s") % {"reason": shan_launch_error_message(exc)},
        )
        return redirect("wallets:wallet")
    return redirect(url)
