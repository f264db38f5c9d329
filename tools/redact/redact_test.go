package redact

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`GET http://x:PW-hunter2@127.0.0.1:8080/repos/o/r: 401`, `GET http://***@127.0.0.1:8080/repos/o/r: 401`},
		{`clone https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/o/r.git`, `clone https://***@github.com/o/r.git`},
		{`"https://user@example.com/x"`, `"https://***@example.com/x"`},
		{`GET https://gitlab.example.com/api/v4/x?private_token=s3cr3t&page=2`, `GET https://gitlab.example.com/api/v4/x?private_token=***&page=2`},
		{`https://bucket.s3.amazonaws.com/k?X-Amz-Signature=abc123&X-Amz-Credential=AKIA/x`, `https://bucket.s3.amazonaws.com/k?X-Amz-Signature=***&X-Amz-Credential=***`},
		{`header Authorization: Bearer eyJhbGciOi.payload.sig`, `header Authorization: Bearer ***`},
		{`Authorization: Basic dXNlcjpwYXNzd29yZA==`, `Authorization: Basic ***`},
		{`the token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked`, `the token *** leaked`},
		{`glpat-abcdefghij0123456789xy and github_pat_11ABCDEFG0123456789_abcdefghij`, `*** and ***`},
		// Ordinary prose and URLs without credentials are left alone.
		{`the token expired; basic authentication is refused`, `the token expired; basic authentication is refused`},
		{`GET https://api.github.com/repos/o/r/issues/7/comments?per_page=100`, `GET https://api.github.com/repos/o/r/issues/7/comments?per_page=100`},
		{`git@github.com:o/r.git`, `git@github.com:o/r.git`},
		{`mailto user@example.com`, `mailto user@example.com`},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestStringNamedSecrets(t *testing.T) {
	const tok = "not-a-known-shape-0123"
	if got := String("the service said: bad token "+tok+" for o/r", tok); strings.Contains(got, tok) || !strings.Contains(got, Mask) {
		t.Errorf("named secret kept: %q", got)
	}
	// A secret too short to be a real token would mangle words.
	if got := String("token expired", "tok"); got != "token expired" {
		t.Errorf("short secret replaced: %q", got)
	}
}

func TestErrorKeepsTheChain(t *testing.T) {
	err := Error(fmt.Errorf("GET http://x:pw-0123456789@h/x: %w", fs.ErrNotExist))
	if strings.Contains(err.Error(), "pw-0123456789") || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Error: %q, Is(ErrNotExist) %v", err, errors.Is(err, fs.ErrNotExist))
	}
	plain := errors.New("nothing to hide")
	if Error(plain) != plain || Error(nil) != nil {
		t.Error("an error without credentials should come back as it is")
	}
}

// FuzzString holds the promise the package makes whatever the text: a
// named secret never survives, and redacting twice changes nothing more.
func FuzzString(f *testing.F) {
	f.Add("GET http://x:PW@127.0.0.1/x", "PW-long-secret")
	f.Add("https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com", "")
	f.Add("a?token=b&c", "secret-value")
	f.Fuzz(func(t *testing.T, s, secret string) {
		got := String(s, secret)
		// Replacements only ever insert the mask, so a secret without
		// its characters cannot be formed again across one.
		if len(secret) >= minSecret && !strings.Contains(secret, "*") && strings.Contains(got, secret) {
			t.Errorf("secret %q survives in %q", secret, got)
		}
		if again := String(got, secret); !strings.Contains(secret, "*") && again != got {
			t.Errorf("not idempotent: %q → %q", got, again)
		}
	})
}
