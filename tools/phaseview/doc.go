// Package phaseview shows the progress of a run made of phases (a drill,
// a backup check) while it runs: on a terminal, one line that names the
// current phase and counts its elapsed time and the run's, redrawn in
// place, with a line left behind for each phase that ends; anywhere else
// (a CI log, a file), plain lines as phases start and end, nothing
// redrawn.
package phaseview
