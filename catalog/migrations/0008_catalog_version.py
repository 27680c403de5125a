"""The catalog's version (`CatalogVersion`), changed by triggers in the transaction of every
change of what the storefront shows, so the guest page cache (`catalog.page_cache`) is never
stale, whatever writes: the ORM, the bulk SQL and COPY paths of the sync, the admin, a shell.

PostgreSQL: a statement-level trigger on products, brands, categories and pricing rules (and a
row-level one on the provider columns that decide what sells) notes the transaction once in
`catalog_catalogchange` (a table without a model); a deferred constraint trigger on that row
changes the version at the commit, so the version row is locked only while the transaction commits (no lock held across
a long sync, no lock-order deadlock with the rows it changes). SQLite (`make run`, one writer
at a time): row-level triggers change the version at once.
"""

from django.db import migrations, models



# A new version is a random positive 53-bit number (see CatalogVersion).
POSTGRESQL_FORWARD = """
CREATE TABLE catalog_catalogchange (
    id bigserial PRIMARY KEY,
    transaction_id bigint NOT NULL
);

CREATE FUNCTION catalog_note_change() RETURNS trigger AS $$
BEGIN
    -- once per transaction: the setting is local to it (and undone with a rolled-back
    -- savepoint, like the row inserted beside it)
    IF current_setting('catalog.change_noted', true) IS DISTINCT FROM '1' THEN
        PERFORM set_config('catalog.change_noted', '1', true);
        INSERT INTO catalog_catalogchange (transaction_id) VALUES (txid_current());
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION catalog_version_change() RETURNS trigger AS $$
BEGIN
    DELETE FROM catalog_catalogchange WHERE id = NEW.id;
    INSERT INTO catalog_catalogversion (id, version)
         VALUES (1, floor(random() * 9007199254740991)::bigint + 1)
    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER catalog_version_at_commit
    AFTER INSERT ON catalog_catalogchange
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION catalog_version_change();

CREATE TRIGGER catalog_product_changed AFTER INSERT OR UPDATE OR DELETE ON catalog_product
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_note_change();
CREATE TRIGGER catalog_brand_changed AFTER INSERT OR UPDATE OR DELETE ON catalog_brand
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_note_change();
CREATE TRIGGER catalog_category_changed AFTER INSERT OR UPDATE OR DELETE ON catalog_category
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_note_change();
CREATE TRIGGER catalog_pricingrule_changed
    AFTER INSERT OR UPDATE OR DELETE ON catalog_pricingrule
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_note_change();
CREATE TRIGGER catalog_provider_added AFTER INSERT OR DELETE ON catalog_provider
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_note_change();
-- a balance reading (last_balance, low_balance_notified) changes no page
CREATE TRIGGER catalog_provider_changed AFTER UPDATE ON catalog_provider
    FOR EACH ROW WHEN (
        (OLD.code, OLD.name, OLD.kind, OLD.enabled, OLD.currency, OLD.exchange_rate,
         OLD.out_of_balance_since)
        IS DISTINCT FROM
        (NEW.code, NEW.name, NEW.kind, NEW.enabled, NEW.currency, NEW.exchange_rate,
         NEW.out_of_balance_since)
    ) EXECUTE FUNCTION catalog_note_change();
"""

POSTGRESQL_BACKWARD = """
DROP TRIGGER IF EXISTS catalog_provider_changed ON catalog_provider;
DROP TRIGGER IF EXISTS catalog_provider_added ON catalog_provider;
DROP TRIGGER IF EXISTS catalog_pricingrule_changed ON catalog_pricingrule;
DROP TRIGGER IF EXISTS catalog_category_changed ON catalog_category;
DROP TRIGGER IF EXISTS catalog_brand_changed ON catalog_brand;
DROP TRIGGER IF EXISTS catalog_product_changed ON catalog_product;
DROP TRIGGER IF EXISTS catalog_version_at_commit ON catalog_catalogchange;
DROP FUNCTION IF EXISTS catalog_version_change();
DROP FUNCTION IF EXISTS catalog_note_change();
DROP TABLE IF EXISTS catalog_catalogchange;
"""

# SQLite changes the version at once; the table stays empty (the version query reads it).
SQLITE_CHANGE_TABLE = (
    "CREATE TABLE catalog_catalogchange "
    "(id integer PRIMARY KEY AUTOINCREMENT, transaction_id bigint NOT NULL)"
)
SQLITE_TABLES = ["product", "brand", "category", "pricingrule", "provider"]
SQLITE_NEW_VERSION = (
    "UPDATE catalog_catalogversion SET version = abs(random()) % 9007199254740991 + 1 "
    "WHERE id = 1;"
)
SQLITE_PROVIDER_CHANGED = (
    "(OLD.code, OLD.name, OLD.kind, OLD.enabled, OLD.currency, OLD.exchange_rate, "
    "OLD.out_of_balance_since) IS NOT (NEW.code, NEW.name, NEW.kind, NEW.enabled, "
    "NEW.currency, NEW.exchange_rate, NEW.out_of_balance_since)"
)


def _sqlite_triggers() -> list[tuple[str, str]]:
    """(name, CREATE TRIGGER) of every SQLite trigger."""
    triggers = []
    for table in SQLITE_TABLES:
        for operation in ("INSERT", "UPDATE", "DELETE"):
            name = f"catalog_{table}_{operation.lower()}_changes_version"
            when = ""
            if table == "provider" and operation == "UPDATE":
                when = f" WHEN {SQLITE_PROVIDER_CHANGED}"
            triggers.append(
                (
                    name,
                    f"CREATE TRIGGER {name} AFTER {operation} ON catalog_{table} "
                    f"FOR EACH ROW{when} BEGIN {SQLITE_NEW_VERSION} END",
                )
            )
    return triggers


def forward(apps, schema_editor):
    apps.get_model("catalog", "CatalogVersion").objects.create(id=1, version=1)
    vendor = schema_editor.connection.vendor
    # A plain cursor: the SQL's own % signs are not query placeholders.
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(POSTGRESQL_FORWARD)
        elif vendor == "sqlite":
            cursor.execute(SQLITE_CHANGE_TABLE)
            for _name, statement in _sqlite_triggers():
                cursor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(POSTGRESQL_BACKWARD)
        elif vendor == "sqlite":
            for name, _statement in _sqlite_triggers():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute("DROP TABLE IF EXISTS catalog_catalogchange")


class Migration(migrations.Migration):

    dependencies = [
        ('catalog', '0007_product_bill_denomination'),
    ]

    operations = [
        migrations.CreateModel(
            name='CatalogVersion',
            fields=[
                ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                ('version', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(forward, backward),
    ]
