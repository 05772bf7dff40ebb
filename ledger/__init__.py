"""The ledger: storage, intake of files, the pure domain rules and the services over them."""
