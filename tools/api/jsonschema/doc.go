// Package jsonschema derives editor JSON Schemas (draft-07) from the
// generated intent CRDs, so that YAML editors validate and complete intent
// files with the same rules `flotilla validate` applies: unknown fields are
// flagged (additionalProperties: false), enums, patterns and bounds carry
// over, and apiVersion/kind are pinned.
package jsonschema
