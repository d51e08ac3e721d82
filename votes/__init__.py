"""Consent votes of owners, counted as PRC Civil Code art. 278 and the SPC interpretation require."""
