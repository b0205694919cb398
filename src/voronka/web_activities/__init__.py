"""Pages for activities and messages (an adapter; to be folded into voronka.web)."""
