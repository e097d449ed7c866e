"""The SQL side of the recorder: the data contract (schema), engines and migrations (db),
the batching single writer (writer) and its overflow spool (spool)."""
