"""Writers: each takes a model (a spec and values, a checked report, a collection) and writes one file."""
