// Package yamldoc splits YAML files into documents and keeps, for each, the
// position of every node, so that any error about a field can name the file
// and line it came from.
//
// The data of a document is converted to JSON with sigs.k8s.io/yaml, the
// converter kubectl, Argo CD and Karmada use: a value means to flotilla what
// it means to the engines (YAML 1.1 booleans included). The position tree
// comes from gopkg.in/yaml.v3, which records lines and columns; it is used
// only to locate fields and to find duplicate keys, never to interpret
// values.
package yamldoc
