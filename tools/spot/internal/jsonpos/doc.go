// Package jsonpos reads a JSON document into a tree that remembers the line
// and column of every value and key, so that the spot signal readers can
// name the exact place of a bad value in the files the clouds publish
// (encoding/json reports only the first syntax error's byte offset, and
// nothing about where a well-formed but wrong value sits).
//
// Tokens come from encoding/json's Decoder, so what is valid JSON here is
// what is valid JSON to the standard library; this package only adds
// positions.
package jsonpos
