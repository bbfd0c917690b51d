"""HTTP side: /healthz, /metrics, and the routes features add (phone directories...)."""
