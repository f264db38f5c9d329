package redact

import (
	"regexp"
	"strings"
)

// Mask is what a redacted credential becomes.
const Mask = "***"

// minSecret is the shortest caller-named secret that is replaced
// wherever it occurs: a shorter one ("tok", "ci") would mangle ordinary
// words, and no real token is that short.
const minSecret = 8

var (
	// userinfo is the part of a URL before the host: scheme://USERINFO@.
	// A token can be the user name alone (https://ghp_x@github.com/...),
	// so all of it goes, not only the password.
	userinfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#@\s"'<>]+@`)
	// tokenParam is a query or form parameter that carries a credential.
	tokenParam = regexp.MustCompile(`(?i)\b((?:access_|private_|auth_|id_|refresh_)?token|password|passwd|secret|client_secret|api_key|apikey|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token)=([^&\s#"'<>]+)`)
	// bearer is an Authorization header's value, as a request dump or a
	// service that echoes headers shows it: "Bearer X", or "Authorization:
	// Basic X" / "token X" (the scheme words alone are ordinary prose).
	bearer = regexp.MustCompile(`(?i)(\bbearer\s+|\bauthorization:\s*(?:basic|token)\s+)[A-Za-z0-9._~+/\-]{8,}=*`)
	// shapes are the documented prefixes of GitHub and GitLab tokens.
	shapes = regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_\-]{20,})`)
)

// String returns s with every credential it can recognize replaced by
// Mask, and every occurrence of each secret (of at least 8 bytes) too.
func String(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= minSecret {
			s = strings.ReplaceAll(s, sec, Mask)
		}
	}
	s = userinfo.ReplaceAllString(s, "${1}"+Mask+"@")
	s = tokenParam.ReplaceAllString(s, "${1}="+Mask)
	s = bearer.ReplaceAllString(s, "${1}"+Mask)
	return shapes.ReplaceAllString(s, Mask)
}

// URL is String for a URL about to be printed.
func URL(u string) string { return String(u) }

// Error returns err with its message redacted by String; errors.Is and
// errors.As still see the original chain.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := String(msg, secrets...)
	if red == msg {
		return err
	}
	return &redacted{msg: red, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
