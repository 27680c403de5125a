"""What the order domain announces, so other apps can act on it without orders importing them."""

from django.dispatch import Signal

# Sent by `order_transition` after an order moved and its OrderEvent was written, inside
# the same transaction: a receiver's writes commit or roll back with the move, and an
# exception a receiver raises undoes the move. Arguments: `order` (its new `status` set),
# `from_status`. Receivers register in their AppConfig.ready() (resellers: its callbacks).
order_transitioned = Signal()
