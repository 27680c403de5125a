"""Admin building blocks shared by the apps."""

from django import forms
from django.contrib import admin
from django.db import models

# Admin forms of URL fields take a bare host as https (Django 6's default, asked for now).
HTTPS_URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records nobody may add, change or delete in the admin (ledger, audit trails)."""

    formfield_overrides = HTTPS_URL_FIELDS

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    formfield_overrides = HTTPS_URL_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class NoDeleteMixin:
    """For records that are history (orders, deposits): nobody deletes them in the admin."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def ops_allowed(request, codename: str) -> bool:
    """Whether the staff member holds the operations permission `ops.<codename>`."""
    return request.user.is_active and request.user.has_perm(f"ops.{codename}")


class ConfirmForm(forms.Form):
    """An operation's confirmation: one POST, nothing to fill in."""

    confirm = forms.BooleanField(initial=True, widget=forms.HiddenInput)


def render_operation(request, admin_site, *, title: str, obj, form, intro: str = "", extra=None):
    """The confirmation page of an object operation (a form, then a POST that runs it)."""
    from django.template.response import TemplateResponse

    context = {
        **admin_site.each_context(request),
        "title": title,
        "object": obj,
        "opts": obj._meta,
        "form": form,
        "intro": intro,
        **(extra or {}),
    }
    return TemplateResponse(request, "ops/operation_form.html", context)
