// Package report is the common shape of everything flotilla finds — policy
// violations, schema findings, a stale rendered/, failing policy tests —
// and the formats it is written in: text for people, JSON for tools, SARIF
// 2.1.0 for code-scanning, JUnit for CI dashboards, and GitHub workflow
// annotations. Findings point at the source a user edits (manifest or
// intent file and line), with the rendered file as a related location.
//
// Every writer emits findings in the report's order, which Sort makes
// deterministic, so output never depends on how work was scheduled.
package report
