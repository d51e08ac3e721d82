"""Operations: backups of the whole database and their restore."""
