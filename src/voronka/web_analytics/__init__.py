"""Analytics pages, charts and JSON endpoints — temporary home until voronka.web and voronka.api land."""
