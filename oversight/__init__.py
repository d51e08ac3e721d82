"""Oversight for officials: the project reserve ledger, the year's targets, and region dashboards."""
