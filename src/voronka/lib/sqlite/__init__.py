"""SQLite whose writers queue in the kernel (ENGINE "voronka.lib.sqlite"): see base.py."""
