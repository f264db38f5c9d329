// Package rebalance is the library of `flotilla spot rebalance`: the slow
// path of spot capacity (DESIGN.md, "Spot capacity: two speeds"). One call,
// Run, reads the repository (the working tree, or HEAD for a commit) and
// a SpotSignals file, maps them onto the optimizer (package intentmap),
// plans every app with a spot objective (package optimize, once per
// replica size), and by its Mode:
//
//   - Preview: reports each app's plan — every move with its figures,
//     why a better division is held back, cost and risk before and after;
//   - Write: writes each moved app's division and weights into its
//     app.yaml in place (package intentedit, comments kept), renders
//     rendered/ as `flotilla render` does — the edits rendered and
//     validated in memory first, then written under the render lock,
//     rendered/ swapped whole — and plans the change against HEAD with the
//     plan engine (replica moves per cluster and wave, risks);
//   - Commit: the same from HEAD's intent, then one commit dated Options.Now
//     whose message (Message) explains each move and ends with trailers:
//     "Flotilla-Spot-Rebalance: <app>" per app moved, which later runs
//     read back (git's own trailer parser) as the app's earlier moves for
//     its rebalancing limits, and what the plan was computed from. The same
//     HEAD and signals make the same commit.
//
// Nothing is written on any error: bad signals and intent come back as a
// diag.List with every problem's file, line, column and field; an
// objective no division can meet as an *ObjectiveError (exit 1); a commit
// over changes rebalance does not make as a *DirtyError.
//
// The report writers (WriteText, WriteMarkdown, and the JSON form of
// Result) are the command's formatters.
package rebalance
