"""Helpers shared by several test directories (importable as ``helpers``: tests/ is on sys.path)."""
