"""Print the failover table per provider (README "Failover"), or write it into the README."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from providers.status_tables import failover_table_markdown

START = "<!-- failover-table:start (generated: python manage.py failover_table --write) -->"
END = "<!-- failover-table:end -->"


def readme_with_table(text: str) -> str:
    """`text` (the README) with the generated table between its markers."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{failover_table_markdown()}{END}{tail}"


class Command(BaseCommand):
    help = (
        "Print which answers of each provider fail an order over to its next route (read "
        "from the providers' status tables); --write puts it into README.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="update README.md in place")

    def handle(self, *args, write: bool = False, **options) -> None:
        if not write:
            self.stdout.write(failover_table_markdown())
            return
        readme = Path(settings.BASE_DIR) / "README.md"
        readme.write_text(readme_with_table(readme.read_text()))
        self.stdout.write(f"Wrote the failover table into {readme}")
