"""Pollution sources and the suspects of a case: registry, import, credit codes, ranking."""
