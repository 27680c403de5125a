"""The reseller's API page (keys, callback URL and secret, recent callbacks) and the API
documentation page. Thin: every write is a service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from resellers import selectors, services
from resellers.callbacks import callback_resend, retry_schedule
from resellers.forms import ApiKeyForm, CallbackUrlForm
from resellers.models import ApiKey, CallbackDelivery
from shop.errors import ApplicationError


def _reseller_only(request) -> None:
    if not request.user.is_reseller:
        raise Http404("The API is for resellers.")


def _page(request, *, key_form=None, url_form=None, new_key="", status=200):
    found = services.reseller_settings_for(user=request.user)
    context = {
        "keys": selectors.api_keys_of(user=request.user),
        "settings": found,
        "signing_secrets": services.signing_secrets(found),
        "deliveries": selectors.callback_deliveries_of(user=request.user),
        "key_form": key_form or ApiKeyForm(),
        "url_form": url_form or CallbackUrlForm(initial={"callback_url": found.callback_url}),
        "new_key": new_key,
    }
    return render(request, "resellers/account.html", context, status=status)


@login_required
@require_GET
def account_api(request):
    _reseller_only(request)
    return _page(request)


@login_required
@require_POST
def key_create(request):
    _reseller_only(request)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        return _page(request, key_form=form, status=400)
    try:
        _api_key, raw_key = services.api_key_create(
            user=request.user,
            name=form.cleaned_data["name"],
            allowed_networks=form.networks(),
            rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
        )
    except ApplicationError as exc:
        form.add_error(None, exc.message)
        return _page(request, key_form=form, status=400)
    # Shown in this reply only: the key is stored hashed.
    return _page(request, new_key=raw_key)


@login_required
@require_POST
def key_revoke(request, pk: int):
    _reseller_only(request)
    api_key = get_object_or_404(ApiKey, pk=pk, user=request.user)
    services.api_key_revoke(api_key=api_key)
    messages.success(request, f"Key {api_key.prefix} revoked.")
    return redirect("resellers:account")


@login_required
@require_POST
def callback_url_set(request):
    _reseller_only(request)
    form = CallbackUrlForm(request.POST)
    if form.is_valid():
        try:
            services.reseller_set_callback_url(
                user=request.user, url=form.cleaned_data["callback_url"]
            )
        except ApplicationError as exc:
            form.add_error("callback_url", exc.message)
    if form.errors:
        return _page(request, url_form=form, status=400)
    messages.success(request, "Callback URL saved.")
    return redirect("resellers:account")


@login_required
@require_POST
def secret_rotate(request):
    _reseller_only(request)
    services.reseller_rotate_secret(user=request.user)
    messages.success(request, "New secret made; the old one also signs for 24 hours.")
    return redirect("resellers:account")


@login_required
@require_POST
def delivery_resend(request, pk: int):
    _reseller_only(request)
    delivery = get_object_or_404(CallbackDelivery, pk=pk, user=request.user)
    callback_resend(delivery=delivery)
    messages.success(request, f"Callback {delivery.webhook_id} queued again.")
    return redirect("resellers:account")


@require_GET
def api_docs(request):
    schedule = [int(offset.total_seconds()) for offset in retry_schedule()]
    return render(request, "resellers/docs.html", {"retry_offsets": schedule})
