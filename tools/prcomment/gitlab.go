package prcomment

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// GitLab is a merge request's notes.
type GitLab struct {
	// APIURL is the v4 API root, e.g. https://gitlab.com/api/v4.
	APIURL string
	// Project is the project's ID or its URL-encoded path.
	Project string
	MR      int
	Token   string
	Client  *http.Client
}

// GitLabFromEnv reads what a GitLab CI merge-request pipeline provides:
// CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID (unless mr > 0), and
// a token with the api scope from GITLAB_TOKEN (a project access token in
// a masked CI/CD variable: CI_JOB_TOKEN cannot write notes).
func GitLabFromEnv(getenv func(string) string, mr int) (*GitLab, error) {
	g := &GitLab{APIURL: getenv("CI_API_V4_URL"), Project: getenv("CI_PROJECT_ID"), MR: mr, Token: getenv("GITLAB_TOKEN")}
	if g.MR <= 0 {
		if s := getenv("CI_MERGE_REQUEST_IID"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("CI_MERGE_REQUEST_IID %q is not a number", s)
			}
			g.MR = n
		}
	}
	var missing []string
	if g.APIURL == "" {
		missing = append(missing, "CI_API_V4_URL")
	}
	if g.Project == "" {
		missing = append(missing, "CI_PROJECT_ID")
	}
	if g.MR <= 0 {
		missing = append(missing, "the merge request IID (--pr, or CI_MERGE_REQUEST_IID in a merge-request pipeline)")
	}
	if g.Token == "" {
		missing = append(missing, "GITLAB_TOKEN (a token with the api scope; CI_JOB_TOKEN cannot write notes)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("posting to GitLab needs %s", strings.Join(missing, "; "))
	}
	return g, nil
}

func (g *GitLab) String() string {
	host := "gitlab"
	if u, err := url.Parse(g.APIURL); err == nil && u.Host != "" {
		host = u.Host
	}
	return fmt.Sprintf("%s project %s !%d", host, g.Project, g.MR)
}

func (g *GitLab) api() *api {
	return &api{client: g.Client, root: g.APIURL, secret: g.Token, headers: map[string]string{"PRIVATE-TOKEN": g.Token}}
}

func (g *GitLab) notes() string {
	return strings.TrimSuffix(g.APIURL, "/") + "/projects/" + url.PathEscape(g.Project) + "/merge_requests/" + strconv.Itoa(g.MR) + "/notes"
}

// Comments lists the merge request's notes oldest first, following
// GitLab's X-Next-Page pagination. System notes ("added 1 commit") are
// listed too; they never carry the marker. X-Next-Page is a number that
// goes into a URL built from the API root (escaped), so the answer cannot
// send the token elsewhere.
func (g *GitLab) Comments(ctx context.Context) ([]Comment, error) {
	var out []Comment
	for pages, page := 0, "1"; page != ""; pages++ {
		if pages == maxPages {
			return nil, fmt.Errorf("more than %d pages of notes: stopped following X-Next-Page", maxPages)
		}
		var notes []struct {
			ID   int64  `json:"id"`
			Body string `json:"body"`
		}
		h, err := g.api().do(ctx, http.MethodGet, g.notes()+"?sort=asc&order_by=created_at&per_page=100&page="+url.QueryEscape(page), nil, &notes)
		if err != nil {
			return nil, err
		}
		for _, n := range notes {
			out = append(out, Comment{ID: n.ID, Body: n.Body})
		}
		page = h.Get("X-Next-Page")
	}
	return out, nil
}

func (g *GitLab) Create(ctx context.Context, body string) error {
	_, err := g.api().do(ctx, http.MethodPost, g.notes(), map[string]string{"body": body}, nil)
	return err
}

func (g *GitLab) Update(ctx context.Context, id int64, body string) error {
	_, err := g.api().do(ctx, http.MethodPut, g.notes()+"/"+strconv.FormatInt(id, 10), map[string]string{"body": body}, nil)
	return err
}

func (g *GitLab) Delete(ctx context.Context, id int64) error {
	_, err := g.api().do(ctx, http.MethodDelete, g.notes()+"/"+strconv.FormatInt(id, 10), nil, nil)
	return err
}
