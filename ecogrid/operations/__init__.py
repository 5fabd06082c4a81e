"""Running ecogrid: backup and restore, metrics, structured logs, health."""
