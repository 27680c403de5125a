"""Staff-only pages outside the model admin: the dashboard, CSV exports, deposit proofs."""

from datetime import date, timedelta

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from ops.dashboard import dashboard_context
from ops.exports import export_range_problem, ledger_csv, orders_csv
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
