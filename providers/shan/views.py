"""The Shan provider's simulator over HTTP (mounted at /sim/shan/ with simulators on):

- `POST api/client/launch-game`: the provider's launch endpoint (its validation, 404 for an
  unknown agent, 500 "Launch failed" for member accounts ending in 95);
- `game/<token>`: the game page the launch URL points to, where the player bets against the
  house bank; each round sends the signed balance-update callback to the shop.
"""

import json
from decimal import Decimal, InvalidOperation
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from providers.shan.simulator import (
    CALLBACK_PATH,
    LaunchRefused,
    RoundRefused,
    callback_target,
    sim_launch,
    sim_play_round,
    sim_session,
)

RESULTS = (("", "Random"), ("win", "Win"), ("lose", "Lose"))


@csrf_exempt
@require_POST
def launch_game_view(request: HttpRequest) -> JsonResponse:
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        body = {}
    try:
        session = sim_launch(body=body)
    except LaunchRefused as refused:
        return JsonResponse(refused.body, status=refused.status)
    query = urlencode({"user_name": session.reference, "balance": session.state["balance"]})
    game_path = reverse("shan-sim-game", args=[session.external_id])
    return JsonResponse(
        {
            "code": 200,
            "message": "Game launched successfully",
            "url": f"{request.build_absolute_uri(game_path)}?{query}",
        }
    )


@csrf_exempt  # a provider's page, not the shop's: the token in the URL is the session
@require_http_methods(["GET", "POST"])
def game_view(request: HttpRequest, token: str) -> HttpResponse:
    session = sim_session(token)
    if session is None:
        return render(request, "shan/game.html", {"missing": True}, status=404)
    error = ""
    if request.method == "POST":
        result = request.POST.get("result", "")
        try:
            bet = Decimal(request.POST.get("bet", "").strip())
            if not bet.is_finite() or bet != bet.quantize(Decimal("0.01")):
                raise InvalidOperation
            sim_play_round(session=session, bet=bet, result=result)
        except InvalidOperation:
            error = "The bet must be an amount, like 1000 or 1000.50."
        except RoundRefused as refused:
            error = str(refused)
        else:
            return redirect(request.get_full_path(), permanent=False)
    shop_base = callback_target(session.callback_url).removesuffix(CALLBACK_PATH)
    context = {
        "session": session,
        "player": session.reference,
        "nickname": session.state.get("nickname", session.reference),
        "balance": session.state["balance"],
        "rounds": session.state.get("rounds", []),
        "last_round": (session.state.get("rounds") or [None])[0],
        "results": RESULTS,
        "error": error,
        "bet": request.POST.get("bet", "1000"),
        "shop_url": shop_base + reverse("accounts:wallet"),
    }
    return render(request, "shan/game.html", context, status=400 if error else 200)


urlpatterns = [
    path("api/client/launch-game", launch_game_view, name="shan-sim-launch"),
    path("game/<str:token>", game_view, name="shan-sim-game"),
]
