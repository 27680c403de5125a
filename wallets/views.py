from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from wallets.selectors import wallet_history
from wallets.services import wallet_for_user


@login_required
@require_GET
def wallet_page(request):
    """The signed-in user's balance and ledger: each row with its reason, reference (the
    order code, or the wager code of a game settlement) and the balance after it."""
    wallet = wallet_for_user(user=request.user)
    page = Paginator(wallet_history(wallet=wallet), 50).get_page(request.GET.get("page"))
    return render(request, "wallets/wallet.html", {"wallet": wallet, "page": page})
