"""labctl's core: no click, no rich, no sys.exit."""
