"""The Shan card game: who may play, launching a game, the balances the provider knows,
settling each round it reports and answering its balance query.

The wire format (client, signature, simulator) is in `providers.shan`; the ledger primitive
a round settles through (`balances_move`) is in `wallets`; the HTTP entry points are in
`webhooks` (every callback is stored and processed there) and `accounts` (the launch).
"""
