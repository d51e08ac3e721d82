"""Publicity (公示): a period in which a decision is shown to the residents it concerns, who may object."""
