"""python manage.py wallet_adjust USERNAME AMOUNT --reason TEXT [--create-user --role reseller]"""

from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shop.errors import ApplicationError
from shop.models import PriceTier, UserRole
from wallets.services import wallet_adjust, wallet_for_user


class Command(BaseCommand):
    help = "Adjust a user's wallet by a signed amount, with a reason (for operators and demos)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("amount", help="signed amount, e.g. 50000 or -2500.50")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--create-user", action="store_true", help="create the user if new")
        parser.add_argument("--role", choices=UserRole.values, default=UserRole.CUSTOMER)

    def handle(self, *args, username, amount, reason, create_user, role, **options):
        try:
            amount = Decimal(amount)
        except InvalidOperation:
            raise CommandError(f"Amount {amount!r} is not a number.") from None
        try:
            with transaction.atomic():
                user = self._user(username, create_user=create_user, role=role)
                wallet = wallet_for_user(user=user)
                wallet_adjust(wallet=wallet, amount=amount, reason=reason)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        wallet.refresh_from_db()
        self.stdout.write(f"{username}: balance {wallet.balance} {wallet.currency}")

    def _user(self, username: str, *, create_user: bool, role: str):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        if not create_user:
            raise CommandError(f"No user {username!r} (add --create-user to create one).")
        tier = PriceTier.RESELLER if role == UserRole.RESELLER else PriceTier.RETAIL
        user = User.objects.create_user(username=username, role=role, price_tier=tier)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        return user
