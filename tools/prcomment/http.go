package prcomment

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/flotilla-gitops/flotilla/tools/redact"
)

// maxPages bounds a listing: a service that keeps answering "next page"
// (or a loop of links) ends in an error, not in a job that never ends.
const maxPages = 1000

// api is a JSON REST client with a fixed set of headers, which carry the
// token: it talks only to the API root's origin (scheme, host and port).
type api struct {
	client  *http.Client
	headers map[string]string
	// root is the API root every request must share its origin with.
	root string
	// secret is the token, taken out of every error message.
	secret string
}

// origin is a URL's scheme, host and port (the default port made
// explicit), lower-cased: what must match for credentials to be sent.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// sameOrigin checks that target is on the API root's origin. A
// pagination link or redirect to any other host, port or scheme would
// carry the token there (the Authorization header, GitLab's
// PRIVATE-TOKEN): it is refused, naming the foreign origin.
func (a *api) sameOrigin(target *url.URL, what string) error {
	root, err := url.Parse(a.root)
	if err != nil {
		return fmt.Errorf("API URL %s: %w", redact.URL(a.root), err)
	}
	if got, want := origin(target), origin(root); got != want {
		return fmt.Errorf("%s points at %s, not the API host %s: refused (the token is only ever sent to the API host)", what, redact.URL(got), redact.URL(want))
	}
	return nil
}

// httpClient is the caller's client (or the default one) with redirects
// held to the API's origin: Go's client keeps the Authorization header on
// a redirect to another port of the same host, and keeps custom headers
// (PRIVATE-TOKEN) on a redirect anywhere.
func (a *api) httpClient() *http.Client {
	c := http.DefaultClient
	if a.client != nil {
		c = a.client
	}
	cp := *c
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return a.sameOrigin(req.URL, "redirect")
	}
	return &cp
}

// fail redacts an error's message: URLs may carry userinfo, and a
// service's answer may echo the token.
func (a *api) fail(err error) error {
	return redact.Error(err, a.secret)
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (when not nil). It returns the response headers. Errors name
// the method and URL, the status, and the service's message, with
// credentials taken out.
func (a *api) do(ctx context.Context, method, rawURL string, body, out any) (http.Header, error) {
	h, err := a.send(ctx, method, rawURL, body, out)
	if err != nil {
		return nil, a.fail(err)
	}
	return h, nil
}

func (a *api) send(ctx context.Context, method, rawURL string, body, out any) (http.Header, error) {
	shown := redact.URL(rawURL)
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, shown, err)
	}
	if err := a.sameOrigin(req.URL, method+" "+shown); err != nil {
		return nil, err
	}
	for k, v := range a.headers {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.httpClient().Do(req)
	if err != nil {
		// url.Error repeats the URL (with the user name Go leaves in).
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%s %s: %w", method, shown, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, shown, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s %s: %s: %s", method, shown, resp.Status, serviceMessage(data))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, shown, err)
		}
	}
	return resp.Header, nil
}

// serviceMessage pulls the message out of a GitHub or GitLab error body.
func serviceMessage(data []byte) string {
	var e struct {
		Message any `json:"message"`
		Error   any `json:"error"`
	}
	if json.Unmarshal(data, &e) == nil {
		if e.Message != nil {
			return fmt.Sprint(e.Message)
		}
		if e.Error != nil {
			return fmt.Sprint(e.Error)
		}
	}
	s := strings.TrimSpace(string(data))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// follow resolves a pagination link found in the answer to from, and
// refuses it unless it stays on the API's origin.
func (a *api) follow(from, link string) (string, error) {
	base, err := url.Parse(from)
	if err != nil {
		return "", a.fail(err)
	}
	ref, err := url.Parse(link)
	if err != nil {
		return "", a.fail(fmt.Errorf("pagination link %q: %w", link, err))
	}
	next := base.ResolveReference(ref)
	if err := a.sameOrigin(next, "pagination link (Link rel=\"next\")"); err != nil {
		return "", a.fail(err)
	}
	return next.String(), nil
}

// nextLink returns the rel="next" URL of an RFC 8288 Link header (GitHub's
// pagination), or "".
func nextLink(h http.Header) string {
	for _, link := range h.Values("Link") {
		for _, part := range strings.Split(link, ",") {
			url, params, ok := strings.Cut(strings.TrimSpace(part), ";")
			if !ok {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				if strings.ReplaceAll(strings.TrimSpace(p), " ", "") == `rel="next"` {
					return strings.Trim(strings.TrimSpace(url), "<>")
				}
			}
		}
	}
	return ""
}
