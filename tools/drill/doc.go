// Package drill carries out a DrillPlan: a disaster-recovery rehearsal
// with real Velero, from a source cluster's backup to a verified restore in
// its recovery cluster, measuring RTO and RPO.
//
// A drill is a sequence of phases — preflight, backup, inject failure,
// await the backup on the recovery side, restore, verify, cleanup — each
// recorded in a state file as it starts and ends, so an interrupted drill
// can be resumed (phases already done are skipped) or cleaned up. Without
// Options.Yes nothing is changed: the steps that would be taken come back
// as the plan. The drill never restores into the source, and changes
// nothing in the source but the declared failure, which cleanup undoes.
//
// Velero does the backing up and restoring; the drill talks to it only
// through its custom resources (Backup, Restore, BackupStorageLocation) in
// the clusters' API servers. Where no Velero server runs in the clusters
// (the local fleet), Options.Servers starts the one a phase needs.
package drill
