"""Files an assessor reads: needs.json, traceability CSV, ReqIF, manifest."""
