"""Residents' renovation wishes: intake, matching to the catalogue, status and answers."""
