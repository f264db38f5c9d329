package intent

import (
	"cmp"
	"io/fs"
	"slices"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"

	"github.com/flotilla-gitops/flotilla/tools/api/v1alpha1"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Repo is everything a control repository declares.
type Repo struct {
	// Root is the repository's directory on disk; "" when it was read
	// from elsewhere (a Git revision held in memory).
	Root string
	// FS is the repository's files, read through the repository jail
	// (a *repofs.FS: the working tree at Root, or a revision in memory).
	FS fs.FS
	// Fleet is fleet.yaml.
	Fleet *Fleet
	// Clusters, Apps, EdgeGroups and Locations are sorted by name.
	Clusters   []*Cluster
	Apps       []*App
	EdgeGroups []*EdgeGroup
	Locations  []*Location
	// Drills are the DrillPlans of backup/drills/, by name.
	Drills []*Drill
}

// Source is where an intent object was declared.
type Source struct {
	// Doc is the YAML document; its File is repository-relative.
	Doc *yamldoc.Document
}

// File is the repository-relative file of the object.
func (s Source) File() string { return s.Doc.File }

// Line is the line of the field at path (Kubernetes notation), or of the
// object's start when path is empty.
func (s Source) Line(path string) int {
	if path == "" {
		return s.Doc.Line
	}
	l, _ := s.Doc.Locate(path)
	return l
}

// Err builds an error about the field at path.
func (s Source) Err(path, format string, args ...any) error {
	return s.Doc.Err(path, format, args...)
}

// Fleet is the loaded fleet.yaml.
type Fleet struct {
	v1alpha1.Fleet
	Source
}

// Cluster is a loaded Cluster.
type Cluster struct {
	v1alpha1.Cluster
	Source
}

// App is a loaded App. Dir is its folder, repository-relative (apps/<name>).
type App struct {
	v1alpha1.App
	Source
	Dir string
}

// EdgeGroup is a loaded EdgeGroup.
type EdgeGroup struct {
	v1alpha1.EdgeGroup
	Source
}

// Drill is a DrillPlan from backup/drills/.
type Drill struct {
	v1alpha1.DrillPlan
	Source
}

// Drill returns the drill named name, or nil.
func (r *Repo) Drill(name string) *Drill {
	return find(r.Drills, name, func(d *Drill) string { return d.Name })
}

// Location is a Velero BackupStorageLocation from backup/locations/.
type Location struct {
	velerov1.BackupStorageLocation
	Source
}

// Cluster returns the cluster named name, or nil.
func (r *Repo) Cluster(name string) *Cluster {
	return find(r.Clusters, name, func(c *Cluster) string { return c.Name })
}

// App returns the app named name, or nil.
func (r *Repo) App(name string) *App {
	return find(r.Apps, name, func(a *App) string { return a.Name })
}

// EdgeGroup returns the edge group named name, or nil.
func (r *Repo) EdgeGroup(name string) *EdgeGroup {
	return find(r.EdgeGroups, name, func(g *EdgeGroup) string { return g.Name })
}

// Location returns the storage location named name, or nil.
func (r *Repo) Location(name string) *Location {
	return find(r.Locations, name, func(l *Location) string { return l.Name })
}

// DefaultLocation returns the storage location marked default, or the only
// one, or nil.
func (r *Repo) DefaultLocation() *Location {
	for _, l := range r.Locations {
		if l.Spec.Default {
			return l
		}
	}
	if len(r.Locations) == 1 {
		return r.Locations[0]
	}
	return nil
}

// ControlPlaneOf returns the control plane a cluster belongs to.
func (r *Repo) ControlPlaneOf(c *Cluster) string {
	if c.Spec.ControlPlane != "" {
		return c.Spec.ControlPlane
	}
	if r.Fleet != nil && len(r.Fleet.Spec.ControlPlanes) == 1 {
		return r.Fleet.Spec.ControlPlanes[0].Name
	}
	return ""
}

// find looks name up in a slice sorted by name.
func find[T any](items []T, name string, key func(T) string) T {
	i, ok := slices.BinarySearchFunc(items, name, func(item T, n string) int { return cmp.Compare(key(item), n) })
	if ok {
		return items[i]
	}
	var zero T
	return zero
}

// IsDRSite reports whether a cluster is where others recover: some cluster
// names it as DR partner, or some app names it as recovery cluster.
func (r *Repo) IsDRSite(name string) bool {
	for _, c := range r.Clusters {
		if c.Spec.DRPartner == name {
			return true
		}
	}
	for _, a := range r.Apps {
		if a.Spec.Backup != nil && a.Spec.Backup.RecoveryCluster == name {
			return true
		}
	}
	return false
}

// BackupSkips reports whether an app's backup skips a cluster: a DR site
// with no recovery target of its own holds standby copies that are
// themselves the recovery, so it does not back them up.
func (r *Repo) BackupSkips(app *App, cluster string) bool {
	if app.Spec.Backup == nil {
		return true
	}
	if app.Spec.Backup.RecoveryCluster != "" {
		return cluster == app.Spec.Backup.RecoveryCluster
	}
	c := r.Cluster(cluster)
	return c != nil && c.Spec.DRPartner == "" && r.IsDRSite(cluster)
}

// ClusterContext is the kubeconfig context a cluster is reached through:
// its spec.access.context, else its name.
func (r *Repo) ClusterContext(name string) string {
	if c := r.Cluster(name); c != nil && c.Spec.Access.Context != "" {
		return c.Spec.Access.Context
	}
	return name
}
