"""The catalog sync: a provider's price list, fetched through its adapter, into the catalog.
By job: `fetch` (the price list, validated and mapped to what is stored),
`write` (applied in bulk, in one transaction) and `runs` (`catalog_sync`: one sync of a
provider at a time, recorded as a SyncRun).

The public names are importable from here, where the callers use them.
"""

from providers.sync.runs import catalog_sync, catalog_sync_all, sync_run_summary

__all__ = ["catalog_sync", "catalog_sync_all", "sync_run_summary"]
