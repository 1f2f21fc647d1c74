"""The threat model: YAML source with positions, schema, loader, review stamps."""
