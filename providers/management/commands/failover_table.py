"""Print the failover tables per provider, or write them into README.md (the summary) and
docs/pipeline.md (every answer), between their markers."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from providers.status_tables import failover_summary_markdown, failover_table_markdown

START = "<!-- failover-table:start (generated: python manage.py failover_table --write) -->"
END = "<!-- failover-table:end -->"


def with_table(text: str, table: str) -> str:
    """`text` with `table` between its markers."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{table}{END}{tail}"


def generated_files() -> dict[Path, str]:
    """Each file that holds a generated table, and the table it holds."""
    base = Path(settings.BASE_DIR)
    return {
        base / "README.md": failover_summary_markdown(),
        base / "docs" / "pipeline.md": failover_table_markdown(),
    }


class Command(BaseCommand):
    help = (
        "Print which answers of each provider fail an order over to its next route (read "
        "from the providers' status tables); --write puts the summary into README.md and "
        "the full table into docs/pipeline.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", action="store_true", help="update the files in place")

    def handle(self, *args, write: bool = False, **options) -> None:
        if not write:
            self.stdout.write(failover_table_markdown())
            return
        for path, table in generated_files().items():
            path.write_text(with_table(path.read_text(), table))
            self.stdout.write(f"Wrote the failover table into {path}")
