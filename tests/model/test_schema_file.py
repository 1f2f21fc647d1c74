"""The packaged JSON Schema of the threat model is itself a valid schema.

Commands no longer check it at start-up (see ``secguide.model.schema._validator``),
so this test is where a broken edit to the schema file is caught.
"""

from __future__ import annotations

import jsonschema
import pytest

from secguide.model.schema import threatmodel_schema


def test_the_packaged_schema_passes_its_metaschema() -> None:
    schema = threatmodel_schema()
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_a_broken_schema_would_be_caught() -> None:
    broken = threatmodel_schema() | {"type": "not-a-type"}
    with pytest.raises(jsonschema.SchemaError):
        jsonschema.validators.validator_for(broken).check_schema(broken)
