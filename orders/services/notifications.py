"""What the buyer (and a gift card's recipient) is told about an order, in their language."""

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from orders.models import (
    Order,
    OrderStatus,
)
from orders.selectors import order_public_url
from shop.models import NotificationLevel
from shop.money import format_money
from shop.notifications import notify


def buyer_language(order: Order):
    """Write to the buyer in the language they ordered in (the site's default if unknown)."""
    return translation.override(order.language or settings.LANGUAGE_CODE)


def order_notify_buyer(order: Order, title: str, level: str) -> None:
    """In-app for signed-in buyers and an e-mail to every buyer, in the buyer's language:
    the codes on success, the reason and where the money went on failure, and the link to
    the order page. `title` is translated when the catalog has it."""
    with buyer_language(order):
        lines = [
            gettext("%(product)s for %(account)s: %(status)s.")
            % {
                "product": order.product_name,
                "account": order.customer_no,
                "status": order.get_status_display(),
            }
        ]
        if order.account_name:
            lines.append(gettext("Account holder: %(name)s") % {"name": order.account_name})
        if order.amount is not None:
            lines.append(
                gettext("Amount: %(amount)s")
                % {"amount": format_money(order.amount, order.product.cost_currency)}
            )
        lines.append(
            gettext("Price: %(price)s") % {"price": format_money(order.price, order.currency)}
        )
        lines.extend(_voucher_lines(order))
        if order.failure_message and order.status != OrderStatus.SUCCESS:
            lines.append(gettext("Reason: %(reason)s") % {"reason": order.failure_message})
        if order.refund_note:
            lines.append(order.refund_note)
        lines.append(gettext("Your order: %(url)s") % {"url": order_public_url(order)})
        title = f"{gettext(str(title))} ({order.code})"
    notify(
        user=order.user,
        email="" if order.user_id else order.guest_email,
        title=title,
        message="\n".join(lines),
        level=level,
        data={"order": order.code},
    )


def order_notify_delivered(order: Order) -> None:
    """Tell the buyer their order is complete (with the codes) and e-mail a gift card to
    its recipient; both leave after commit."""
    order_notify_buyer(order, gettext_lazy("Your order is complete"), NotificationLevel.SUCCESS)
    _send_gift_card(order)


def _voucher_lines(order: Order) -> list[str]:
    """One line per delivered code, in the active language."""
    lines = []
    for voucher in order.vouchers.all():
        valid_until = date_format(voucher.expires_on) if voucher.expires_on else ""
        parts = [
            f"{label} {value}"
            for label, value in (
                (gettext("Code"), voucher.code),
                (gettext("PIN"), voucher.pin),
                (gettext("Serial"), voucher.serial),
                (gettext("Valid until"), valid_until),
            )
            if value
        ]
        if voucher.is_revoked:  # taken back by the provider: it no longer works
            parts.insert(0, gettext("Revoked"))
        lines.append(" · ".join(parts))
    return lines


def gift_card_recipient(order: Order) -> str:
    """The address a gift card is for (the `email` its buyer typed), when it is not the
    buyer's own and the order came from the storefront; "" otherwise. A reseller's API
    order is for the reseller's own customer, whom the reseller tells, not the shop."""
    recipient = str(order.customer_data.get("email") or "")
    if not recipient or recipient.casefold() == (order.buyer_email or "").casefold():
        return ""
    # `api_order` is the resellers app's reverse relation: read, not imported (apps layering).
    if Order.objects.filter(pk=order.pk, api_order__isnull=False).exists():
        return ""
    return recipient


def _send_gift_card(order: Order) -> None:
    """A delivered gift card goes to its recipient too, by e-mail (through `notify`, after
    commit), in the language it was bought in: the codes, not the price or the buyer's
    account. Nothing is sent for a card the buyer bought for their own address."""
    recipient = gift_card_recipient(order)
    if not recipient:
        return
    with buyer_language(order):
        title = gettext("Your gift card: %(product)s") % {"product": order.product_name}
        lines = [
            gettext("You have been sent a gift card: %(product)s.")
            % {"product": order.product_name},
            *_voucher_lines(order),
        ]
    notify(email=recipient, title=title, message="\n".join(lines), data={"order": order.code})
