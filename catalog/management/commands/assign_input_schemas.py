"""Give existing brands the input schema their name maps to (docs/input-schemas.md)."""

from django.core.management.base import BaseCommand, CommandParser

from catalog.services.brand_schemas import brand_input_schemas_assign


class Command(BaseCommand):
    help = (
        "Give every brand still on a generic input schema (other, game, game_zone) the schema "
        "its name maps to; brands whose schema staff chose are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only list the changes")

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        changes = brand_input_schemas_assign(dry_run=dry_run)
        for change in changes:
            self.stdout.write(f"{change.brand}: {change.old} -> {change.new}")
        verb = "Would change" if dry_run else "Changed"
        self.stdout.write(f"{verb} the input schema of {len(changes)} brand(s).")
