package prcomment

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Comment is one comment (GitHub) or note (GitLab) on the thread.
type Comment struct {
	ID   int64
	Body string
}

// Thread is the conversation of one pull or merge request.
type Thread interface {
	// Comments lists every comment, oldest first.
	Comments(ctx context.Context) ([]Comment, error)
	Create(ctx context.Context, body string) error
	Update(ctx context.Context, id int64, body string) error
	Delete(ctx context.Context, id int64) error
	// String names the thread for messages ("github.com/o/r#12").
	String() string
}

// Result counts what Sync did.
type Result struct {
	Created, Updated, Unchanged, Deleted int
}

func (r Result) String() string {
	return fmt.Sprintf("%d created, %d updated, %d unchanged, %d deleted", r.Created, r.Updated, r.Unchanged, r.Deleted)
}

// partIndex returns i of a body starting "<!-- marker part i/n -->", or 0.
func partIndex(body, marker string) int {
	rest, ok := strings.CutPrefix(body, "<!-- "+marker+" part ")
	if !ok {
		return 0
	}
	num, _, ok := strings.Cut(rest, "/")
	if !ok {
		return 0
	}
	i, err := strconv.Atoi(num)
	if err != nil || i < 1 {
		return 0
	}
	return i
}

// Sync makes the thread's marked comments equal parts (part i is
// parts[i-1], each starting with its marker). It works in order — update
// or create part 1, 2, ..., then delete what is left over — and stops at
// the first error, which names the thread and the step; a re-run finishes
// the job.
func Sync(ctx context.Context, th Thread, marker string, parts []string) (Result, error) {
	var res Result
	for i, p := range parts {
		if partIndex(p, marker) != i+1 {
			return res, fmt.Errorf("part %d does not start with its marker <!-- %s part %d/%d -->", i+1, marker, i+1, len(parts))
		}
	}
	existing, err := th.Comments(ctx)
	if err != nil {
		return res, fmt.Errorf("%s: list comments: %w", th, err)
	}
	byPart := map[int]Comment{}
	var stale []Comment
	for _, c := range existing {
		i := partIndex(c.Body, marker)
		switch {
		case i == 0:
			continue
		case i > len(parts):
			stale = append(stale, c)
		default:
			if _, dup := byPart[i]; dup {
				stale = append(stale, c)
			} else {
				byPart[i] = c
			}
		}
	}
	for i, body := range parts {
		c, ok := byPart[i+1]
		switch {
		case !ok:
			if err := th.Create(ctx, body); err != nil {
				return res, fmt.Errorf("%s: create part %d/%d: %w", th, i+1, len(parts), err)
			}
			res.Created++
		case c.Body == body:
			res.Unchanged++
		default:
			if err := th.Update(ctx, c.ID, body); err != nil {
				return res, fmt.Errorf("%s: update comment %d (part %d/%d): %w", th, c.ID, i+1, len(parts), err)
			}
			res.Updated++
		}
	}
	slices.SortFunc(stale, func(a, b Comment) int { return cmp.Compare(a.ID, b.ID) })
	for _, c := range stale {
		if err := th.Delete(ctx, c.ID); err != nil {
			return res, fmt.Errorf("%s: delete comment %d: %w", th, c.ID, err)
		}
		res.Deleted++
	}
	return res, nil
}
