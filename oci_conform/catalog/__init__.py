"""The clause catalog: the data files, their loader, and coverage."""
