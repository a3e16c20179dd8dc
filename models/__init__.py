"""Model backends, one file each, plus the resolver (offline pack, local cache, download)."""
