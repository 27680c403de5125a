"""The repository stands alone: a short README, docs that cite nothing outside the repository,
and a configuration page that lists every variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README_MAX_BYTES = 12_500
# Folders that are not the project's own files: tools, build output, run-time data.
SKIPPED_DIRS = {
    ".venv",
    ".git",
    "site",
    ".tools",
    "var",
    "artifacts",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".hypothesis",
}
# Notes that lived beside the repository once; nothing may point at them. Split so that
# this file does not name them itself.
OUTSIDE_REFERENCES = [
    "../" + "shared",
    "DESIGN" + ".md",
    "PROVIDERS" + ".md",
    "NOTES" + ".md",
]


def _repository_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS for part in relative.parts) or not path.is_file():
            continue
        files.append(path)
    return files


def test_readme_stays_a_front_door():
    size = (ROOT / "README.md").stat().st_size
    assert size <= README_MAX_BYTES, (
        f"README.md is {size} bytes (at most {README_MAX_BYTES}): move the reference to docs/"
    )


def test_nothing_points_outside_the_repository():
    offenders = []
    for path in _repository_files():
        content = path.read_bytes()
        for reference in OUTSIDE_REFERENCES:
            if reference.encode() in content:
                offenders.append(f"{path.relative_to(ROOT)}: {reference}")
    assert offenders == []


def test_the_scan_sees_the_repository_files():
    # A scan that found nothing could not fail: it must see the code, the docs and itself.
    scanned = {str(path.relative_to(ROOT)) for path in _repository_files()}
    assert {"README.md", "docs/index.md", "orders/models.py", "tests/shop/test_docs.py"} <= scanned


def test_readme_links_lead_to_files():
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text)
    local = [target for target in targets if "://" not in target]
    assert "docs/index.md" in local
    missing = [target for target in local if not (ROOT / target).exists()]
    assert missing == []


def test_configuration_page_lists_every_setting_read_from_the_environment():
    settings = (ROOT / "shop/settings/base.py").read_text()
    names = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]+)\"", settings))
    names |= set(re.findall(r"\b_credential\(\s*\"([A-Z][A-Z0-9_]+)\"", settings))
    assert {"SECRET_KEY", "DATABASE_URL", "DIGIFLAZZ_API_KEY", "TRIPAY_PRIVATE_KEY"} <= names
    page = (ROOT / "docs/configuration.md").read_text()
    undocumented = sorted(name for name in names if f"`{name}`" not in page)
    assert undocumented == []
