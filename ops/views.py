"""Staff-only pages outside the model admin: the dashboard (and its circuit switches), CSV
exports, deposit proofs; and /metrics for staff or the monitoring."""

import hmac
from datetime import date, timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from catalog.models import Provider
from ops.dashboard import dashboard_context
from ops.exports import export_range_problem, ledger_csv, orders_csv
from ops.metrics import metrics_exposition
from providers.health import provider_circuit_force
from providers.models import CircuitState
from shop.client_address import client_address, in_networks
from wallets.models import Deposit
from wallets.proofs import UNKNOWN_CONTENT_TYPE, proof_kind

MAX_EXPORT_DAYS = 366


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


@staff_member_required
def dashboard(request):
    _require(request, "ops.view_dashboard")
    return render(request, "ops/dashboard.html", dashboard_context())


class CircuitForceForm(forms.Form):
    state = forms.ChoiceField(
        choices=[(CircuitState.OPEN, "open"), (CircuitState.CLOSED, "closed")]
    )
    reason = forms.CharField(max_length=500)


@staff_member_required
@require_POST
def circuit_force(request, code: str):
    """Force a provider's circuit open or closed (audited in CircuitChange)."""
    _require(request, "ops.operate_providers")
    if not Provider.objects.filter(code=code).exists():
        raise Http404("No such provider.")
    form = CircuitForceForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
            content_type="text/plain",
        )
    state = form.cleaned_data["state"]
    provider_circuit_force(
        code=code, state=state, actor=request.user, reason=form.cleaned_data["reason"]
    )
    messages.success(request, f"The circuit of {code} is now forced {state}.")
    return redirect(f"{reverse('ops-dashboard')}#provider-health")


def _metrics_allowed(request) -> bool:
    """Staff signed in, a client address in METRICS_ALLOWED_IPS (behind TRUSTED_PROXIES),
    or `Authorization: Bearer <METRICS_TOKEN>` when a token is set."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    address = client_address(request.META)
    return bool(address) and in_networks(address, settings.METRICS_ALLOWED_IPS)


@require_GET
def metrics(request):
    """Prometheus' scrape: the shop's metrics read now (ops/metrics.py); 403 to others."""
    if not _metrics_allowed(request):
        return HttpResponseForbidden("Not allowed.", content_type="text/plain")
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)


class DateRangeForm(forms.Form):
    start = forms.DateField()
    end = forms.DateField()

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            problem = export_range_problem(start=start, end=end)
            if problem:
                raise forms.ValidationError(problem)
            if (end - start).days >= MAX_EXPORT_DAYS:
                raise forms.ValidationError(f"At most {MAX_EXPORT_DAYS} days per export.")
        return data


def _export(request, rows_for, name: str):
    _require(request, "ops.export_data")
    today = timezone.localdate()
    params = request.GET or {"start": today - timedelta(days=30), "end": today}
    form = DateRangeForm(params)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items()),
            content_type="text/plain",
        )
    start: date = form.cleaned_data["start"]
    end: date = form.cleaned_data["end"]
    response = StreamingHttpResponse(
        rows_for(start=start, end=end), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{start}-{end}.csv"'
    return response


@staff_member_required
def export_orders(request):
    return _export(request, orders_csv, "orders")


@staff_member_required
def export_ledger(request):
    return _export(request, ledger_csv, "ledger")


@staff_member_required
def deposit_proof(request, pk: int):
    """The proof a reseller uploaded, to staff who may decide deposits."""
    _require(request, "ops.decide_deposit")
    deposit = get_object_or_404(Deposit, pk=pk)
    if not deposit.proof:
        raise Http404("No proof uploaded.")
    try:
        handle = deposit.proof.open("rb")
    except FileNotFoundError:
        raise Http404("The proof file is missing.") from None
    # Never rendered by the shop's origin: a download, typed by its bytes (an unchecked
    # legacy file is opaque bytes), not sniffed, and sandboxed if a browser opens it anyway.
    kind = proof_kind(handle)
    content_type = kind.content_type if kind is not None else UNKNOWN_CONTENT_TYPE
    extension = kind.extension if kind is not None else "bin"
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"deposit-{deposit.pk}-proof.{extension}",
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
