"""Lift retrofits per stairwell unit: the county's rule, the cost scheme, each owner's share, the vote."""
