// Package plan says what a change to the control repository does to the
// fleet: per cluster and per object what is added, changed or removed (a
// semantic diff, Secret values masked), how replicas move between
// clusters, in which rollout wave each change lands, which policy findings
// the change introduces or fixes, which images change where, and the risks
// a reviewer must not miss.
//
// It compares two Sides — each a rendered repository with Karmada's
// placement already resolved and overrides applied per cluster — built by
// the pipeline with the very code `flotilla place` and `flotilla lint` use,
// so the plan predicts what the engines will do rather than what a YAML
// diff suggests. The package itself is pure: plain data in, a Plan out,
// and formatters for the terminal, pull-request Markdown, JSON and HTML.
package plan
