// Package prcomment keeps a report's comments on a pull request (GitHub)
// or merge request (GitLab) current: each run updates the comments an
// earlier run posted, in place, instead of adding new ones.
//
// A report is a list of parts (mdsplit.Split), each headed by the hidden
// marker "<!-- MARKER part i/n -->". Sync finds the thread's comments that
// start with the marker, updates part i where it changed, creates the
// parts that have no comment yet, and deletes comments of parts the new
// report no longer has (and duplicates of one part, left by two jobs
// racing). Comments without the marker are never touched.
//
// GitHub and GitLab are reached through their REST APIs with the token CI
// provides (see GitHubFromEnv and GitLabFromEnv), with net/http only. The
// token goes only to the API root's origin (scheme, host and port):
// pagination links and redirects elsewhere are refused, and every error
// message has URL userinfo and the token taken out (package redact).
package prcomment
