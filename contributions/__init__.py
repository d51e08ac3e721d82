"""The residents' contribution ledger: per dwelling, pledged → received → refunded or cancelled."""
