"""What the buyer (and a gift card's recipient) is told about an order, in their language."""

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from orders.models import (
    Order,
    OrderStatus,
)
from orders.selectors import order_public_url
from shop.messaging.templates import WhatsAppTemplate, template_language
from shop.models import MessageChannel, NotificationLevel
from shop.money import format_money
from shop.notifications import notify


def buyer_language(order: Order):
    """Write to the buyer in the language they ordered in (the site's default if unknown)."""
    return translation.override(order.language or settings.LANGUAGE_CODE)


def order_notify_buyer(order: Order, title: str, level: str, *, event_key: str = "") -> None:
    """In-app for signed-in buyers, and a message on the buyer's channel, in the buyer's
    language: the codes on success, the reason and where the money went on failure, and
    the link to the order page. The channel is the buyer's own: the e-mail or WhatsApp
    number given on the order, or the signed-in buyer's e-mail or verified WhatsApp number
    (their choice); codes go nowhere else. `title` is translated when the catalog has it.
    `event_key` defaults to this order's latest event (one message per transition); a
    resend passes its own."""
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
        price = gettext("Price: %(price)s") % {"price": format_money(order.price, order.currency)}
        lines.append(price)
        codes = _voucher_lines(order)
        lines.extend(codes)
        outcome = []
        if order.failure_message and order.status != OrderStatus.SUCCESS:
            outcome.append(gettext("Reason: %(reason)s") % {"reason": order.failure_message})
        if order.refund_note:
            outcome.append(order.refund_note)
        lines.extend(outcome)
        url = order_public_url(order)
        lines.append(gettext("Your order: %(url)s") % {"url": url})
        title = f"{gettext(str(title))} ({order.code})"
        if order.status == OrderStatus.SUCCESS:
            template = _template(
                order,
                "order_delivered",
                order.product_name,
                order.customer_no,
                "; ".join(codes) or price,
                url,
            )
        else:
            template = _template(
                order, "order_refunded", order.product_name, " ".join(outcome) or price, url
            )
    notify(
        user=order.user,
        email="" if order.user_id else order.guest_email,
        phone="" if order.user_id else order.guest_phone,
        whatsapp=template,
        title=title,
        message="\n".join(lines),
        level=level,
        data={"order": order.code},
        event_key=event_key or _transition_key(order, "buyer"),
        confidential=bool(codes),
    )


def _template(order: Order, name: str, *params: str) -> WhatsAppTemplate:
    """A WhatsApp template for `order` in its buyer's language; the order code comes first."""
    return WhatsAppTemplate(
        name=name, language=template_language(order.language), params=[order.code, *params]
    )


def _transition_key(order: Order, what: str) -> str:
    """One message per order transition: its latest event names it."""
    last_event = order.events.order_by("-pk").values_list("pk", flat=True).first()
    return f"order:{order.code}:{what}:{order.status}:e{last_event or 0}"


def _reaches_by_whatsapp(order: Order) -> bool:
    """The buyer gave a WhatsApp number on the order, or signed in and chose WhatsApp."""
    if order.user_id is None:
        return bool(order.guest_phone)
    user = order.user
    return bool(
        user.notify_channel == MessageChannel.WHATSAPP
        and user.whatsapp_number
        and user.whatsapp_verified_at
    )


def order_notify_needs_payment(order: Order) -> None:
    """A WhatsApp buyer's gateway order waits for payment: the link to pay it, and until
    when (e-mail buyers have the page in front of them, as before)."""
    if not _reaches_by_whatsapp(order) or order.status != OrderStatus.PENDING_PAYMENT:
        return
    with buyer_language(order):
        price = format_money(order.price, order.currency)
        until = (
            date_format(timezone.localtime(order.payment_expires_at), "DATETIME_FORMAT")
            if order.payment_expires_at
            else "-"
        )
        url = order_public_url(order)
        title = gettext("Your order is waiting for payment") + f" ({order.code})"
        message = gettext("Pay %(price)s until %(until)s: %(url)s") % {
            "price": price,
            "until": until,
            "url": url,
        }
        template = _template(order, "order_needs_payment", order.product_name, price, until, url)
    _notify_whatsapp_buyer(order, title, message, template, _transition_key(order, "buyer"))


def order_notify_paid(order: Order) -> None:
    """A WhatsApp buyer's payment arrived: we are on it (e-mail buyers hear at the end)."""
    if not _reaches_by_whatsapp(order) or order.status != OrderStatus.PAID:
        return
    with buyer_language(order):
        price = format_money(order.price, order.currency)
        url = order_public_url(order)
        title = gettext("We received your payment") + f" ({order.code})"
        message = gettext("%(price)s received; we are processing your order: %(url)s") % {
            "price": price,
            "url": url,
        }
        template = _template(order, "order_paid", order.product_name, price, url)
    _notify_whatsapp_buyer(order, title, message, template, _transition_key(order, "buyer"))


def _notify_whatsapp_buyer(order, title, message, template, event_key) -> None:
    notify(
        user=order.user,
        phone="" if order.user_id else order.guest_phone,
        whatsapp=template,
        title=title,
        message=message,
        data={"order": order.code},
        event_key=event_key,
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
    notify(
        email=recipient,
        title=title,
        message="\n".join(lines),
        data={"order": order.code},
        event_key=_transition_key(order, "gift-card"),
        confidential=True,
    )
