"""Documents: payload parsing, primary keys, field bookkeeping."""
