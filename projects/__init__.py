"""Renovation projects: items, stages, progress, funding, supervision, acceptance."""
