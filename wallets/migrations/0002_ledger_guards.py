"""PostgreSQL guards for the ledger, so no code path (not even raw SQL) can break it:

- legs and transfers cannot be updated or deleted (append-only);
- at commit, every transfer's legs sum to zero per currency (a deferred constraint trigger).
Other databases (SQLite for `make run`) rely on the model and service checks.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION wallets_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER wallets_balancemutation_append_only
    BEFORE UPDATE OR DELETE ON wallets_balancemutation
    FOR EACH ROW EXECUTE FUNCTION wallets_refuse_change();
CREATE TRIGGER wallets_transfer_append_only
    BEFORE UPDATE OR DELETE ON wallets_transfer
    FOR EACH ROW EXECUTE FUNCTION wallets_refuse_change();

CREATE FUNCTION wallets_check_transfer_balanced() RETURNS trigger AS $$
DECLARE
    unbalanced record;
BEGIN
    SELECT w.currency, SUM(m.amount) AS total INTO unbalanced
      FROM wallets_balancemutation m JOIN wallets_wallet w ON w.id = m.wallet_id
     WHERE m.transfer_id = NEW.transfer_id
     GROUP BY w.currency
    HAVING SUM(m.amount) <> 0
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'transfer % legs sum to % %, not zero',
            NEW.transfer_id, unbalanced.total, unbalanced.currency;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER wallets_transfer_balanced
    AFTER INSERT ON wallets_balancemutation
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION wallets_check_transfer_balanced();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS wallets_transfer_balanced ON wallets_balancemutation;
DROP FUNCTION IF EXISTS wallets_check_transfer_balanced();
DROP TRIGGER IF EXISTS wallets_transfer_append_only ON wallets_transfer;
DROP TRIGGER IF EXISTS wallets_balancemutation_append_only ON wallets_balancemutation;
DROP FUNCTION IF EXISTS wallets_refuse_change();
"""


def _run_on_postgresql(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        # A plain cursor: the SQL's own % signs are not query placeholders.
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forward(apps, schema_editor):
    _run_on_postgresql(schema_editor, FORWARD)


def backward(apps, schema_editor):
    _run_on_postgresql(schema_editor, BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("wallets", "0001_ledger")]

    operations = [migrations.RunPython(forward, backward)]
