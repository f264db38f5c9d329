package prcomment

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// GitHub is a pull request's conversation (its issue comments).
type GitHub struct {
	// APIURL is the REST API root: https://api.github.com, or a GitHub
	// Enterprise server's https://HOST/api/v3.
	APIURL string
	// Repo is owner/name.
	Repo   string
	Number int
	Token  string
	Client *http.Client
}

// GitHubFromEnv reads what a GitHub Actions job provides: GITHUB_API_URL,
// GITHUB_REPOSITORY, the pull request's number from the event payload at
// GITHUB_EVENT_PATH (unless number > 0), and the token from GITHUB_TOKEN or
// GH_TOKEN (pass `${{ github.token }}` in the job's env).
func GitHubFromEnv(getenv func(string) string, number int) (*GitHub, error) {
	g := &GitHub{APIURL: getenv("GITHUB_API_URL"), Repo: getenv("GITHUB_REPOSITORY"), Number: number, Token: getenv("GITHUB_TOKEN")}
	if g.APIURL == "" {
		g.APIURL = "https://api.github.com"
	}
	if g.Token == "" {
		g.Token = getenv("GH_TOKEN")
	}
	var missing []string
	if g.Repo == "" {
		missing = append(missing, "GITHUB_REPOSITORY (owner/name)")
	}
	if g.Token == "" {
		missing = append(missing, "GITHUB_TOKEN or GH_TOKEN (the job's env: GITHUB_TOKEN: ${{ github.token }}, with permissions pull-requests: write)")
	}
	if g.Number <= 0 {
		n, err := pullNumber(getenv("GITHUB_EVENT_PATH"))
		if err != nil {
			return nil, err
		}
		if n == 0 {
			missing = append(missing, "the pull request number (--pr, or a pull_request event at GITHUB_EVENT_PATH)")
		}
		g.Number = n
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("posting to GitHub needs %s", strings.Join(missing, "; "))
	}
	return g, nil
}

// pullNumber reads the pull request number from a GitHub event payload
// (0 when there is none: not a pull_request event).
func pullNumber(path string) (int, error) {
	if path == "" {
		return 0, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("GITHUB_EVENT_PATH: %w", err)
	}
	var ev struct {
		PullRequest struct {
			Number int `json:"number"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return 0, fmt.Errorf("GITHUB_EVENT_PATH %s: %w", path, err)
	}
	return ev.PullRequest.Number, nil
}

func (g *GitHub) String() string {
	host := "github"
	if u, err := url.Parse(g.APIURL); err == nil && u.Host != "" {
		host = strings.TrimPrefix(u.Host, "api.")
	}
	return fmt.Sprintf("%s/%s#%d", host, g.Repo, g.Number)
}

func (g *GitHub) api() *api {
	return &api{client: g.Client, root: g.APIURL, secret: g.Token, headers: map[string]string{
		"Authorization":        "Bearer " + g.Token,
		"Accept":               "application/vnd.github+json",
		"X-GitHub-Api-Version": "2022-11-28",
	}}
}

func (g *GitHub) base() string { return strings.TrimSuffix(g.APIURL, "/") + "/repos/" + g.Repo }

// Comments lists the pull request's conversation comments, following
// GitHub's Link pagination — only on the API's own origin: the answer
// decides where the next request goes, and that request carries the
// token.
func (g *GitHub) Comments(ctx context.Context) ([]Comment, error) {
	var out []Comment
	a := g.api()
	next := g.base() + "/issues/" + strconv.Itoa(g.Number) + "/comments?per_page=100"
	for pages := 0; next != ""; pages++ {
		if pages == maxPages {
			return nil, fmt.Errorf("more than %d pages of comments: stopped following Link rel=\"next\"", maxPages)
		}
		var page []struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
		}
		h, err := a.do(ctx, http.MethodGet, next, nil, &page)
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			out = append(out, Comment{ID: c.ID, Body: c.Body})
		}
		link := nextLink(h)
		if link == "" {
			break
		}
		if next, err = a.follow(next, link); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (g *GitHub) Create(ctx context.Context, body string) error {
	_, err := g.api().do(ctx, http.MethodPost, g.base()+"/issues/"+strconv.Itoa(g.Number)+"/comments", map[string]string{"body": body}, nil)
	return err
}

func (g *GitHub) Update(ctx context.Context, id int64, body string) error {
	_, err := g.api().do(ctx, http.MethodPatch, g.base()+"/issues/comments/"+strconv.FormatInt(id, 10), map[string]string{"body": body}, nil)
	return err
}

func (g *GitHub) Delete(ctx context.Context, id int64) error {
	_, err := g.api().do(ctx, http.MethodDelete, g.base()+"/issues/comments/"+strconv.FormatInt(id, 10), nil, nil)
	return err
}
