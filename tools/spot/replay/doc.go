// Package replay is the library of `flotilla spot simulate`: it renders
// the repository, maps its spot apps and clusters and the signals' traces
// onto the simulator (package intentmap), and replays them under every
// policy (package sim). Reporting is package simreport's.
package replay
