"""Users, departments, roles and access scopes (own / department / all)."""
