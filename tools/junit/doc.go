// Package junit is the JUnit XML CI systems read (GitHub Actions test
// reporters, GitLab's junit artifacts, Jenkins): the document model and
// its writer, shared by lint's report and the drill reports so the two
// agree on the format.
package junit
