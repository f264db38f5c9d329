// Package redact takes credentials out of text meant for people: the
// userinfo of URLs (http://user:password@host, https://TOKEN@host), the
// values of token-like query parameters, bearer tokens, the shapes of
// GitHub and GitLab tokens, and any secret value the caller names (a token
// read from the environment). Messages flotilla prints end up in CI logs
// and pull-request comments that strangers read; every message that may
// hold a URL or a service's answer passes through here first.
package redact
