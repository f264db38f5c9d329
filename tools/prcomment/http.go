package prcomment

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// api is a JSON REST client with a fixed set of headers.
type api struct {
	client  *http.Client
	headers map[string]string
}

// do sends a request with an optional JSON body and decodes a JSON answer
// into out (when not nil). It returns the response headers. Errors name
// the method and URL, the status, and the service's message.
func (a *api) do(ctx context.Context, method, url string, body, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range a.headers {
		req.Header.Set(k, v)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	client := a.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, url, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, serviceMessage(data))
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s %s: answer is not the expected JSON: %w", method, url, err)
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
