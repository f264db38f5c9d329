package fleet

import (
	"context"
	"fmt"
	"os"
	"time"

	clusterv1alpha1 "github.com/karmada-io/karmada/pkg/apis/cluster/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ComponentStatus is a component's liveness; a component that exited
// carries the end of its log.
type ComponentStatus struct {
	Name    string `json:"name"`
	Cluster string `json:"cluster"`
	PID     int    `json:"pid"`
	Port    int    `json:"port"`
	State   string `json:"state"`
	Log     string `json:"log"`
	Tail    string `json:"tail,omitempty"`
}

// ClusterStatus is a cluster's health as Karmada sees it.
type ClusterStatus struct {
	Name    string `json:"name"`
	Context string `json:"context"`
	URL     string `json:"url"`
	// Karmada is the Ready condition of the member's Cluster object
	// ("Ready", "NotReady: <message>"), or "control plane".
	Karmada string `json:"karmada"`
	// Nodes is Karmada's node summary of a member, "ready/all" (empty
	// before Karmada has one).
	Nodes string `json:"nodes,omitempty"`
}

// Status reports every component and cluster.
type Status struct {
	Components []ComponentStatus `json:"components"`
	Clusters   []ClusterStatus   `json:"clusters"`
}

// Status checks processes and asks Karmada about its members.
func (f *Fleet) Status(ctx context.Context) Status {
	var st Status
	for _, c := range f.Components {
		cs := ComponentStatus{Name: c.Name, Cluster: c.Cluster, PID: c.PID, Port: c.Port, Log: c.Log, State: "running"}
		if !alive(c.PID) {
			cs.State, cs.Tail = "exited", tail(c.Log, 10)
		}
		st.Components = append(st.Components, cs)
	}
	host, err := f.Client(HostName)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, c := range f.Clusters {
		cs := ClusterStatus{Name: c.Name, Context: c.Context, URL: c.URL, Karmada: "control plane"}
		if c.Member {
			cs.Karmada = "unknown"
			if err == nil {
				kc := &clusterv1alpha1.Cluster{}
				if gerr := host.Get(ctx, client.ObjectKey{Name: c.Name}, kc); gerr != nil {
					cs.Karmada = "unknown: " + gerr.Error()
				} else if ns := kc.Status.NodeSummary; ns != nil {
					cs.Nodes = fmt.Sprintf("%d/%d", ns.ReadyNum, ns.TotalNum)
				}
				if cond := meta.FindStatusCondition(kc.Status.Conditions, clusterv1alpha1.ClusterConditionReady); cond != nil {
					cs.Karmada = cond.Reason
					if cond.Status == "True" {
						cs.Karmada = "Ready"
					} else if cond.Message != "" {
						cs.Karmada = "NotReady: " + cond.Message
					}
				}
			}
		}
		st.Clusters = append(st.Clusters, cs)
	}
	return st
}

// StopComponent stops one component (to inject a failure: a member's API
// server going away).
func (f *Fleet) StopComponent(name string) error {
	c := f.Component(name)
	if c == nil {
		return fmt.Errorf("no component %q in the fleet", name)
	}
	stop(c, 10*time.Second)
	if alive(c.PID) {
		return fmt.Errorf("%s (pid %d) still running", name, c.PID)
	}
	return nil
}

// KillComponent stops one component at once (SIGKILL, no grace period): a crash,
// as a failure injection wants it. An API server killed this way starts
// again on the same data.
func (f *Fleet) KillComponent(name string) error {
	c := f.Component(name)
	if c == nil {
		return fmt.Errorf("no component %q in the fleet", name)
	}
	stop(c, 0)
	if alive(c.PID) {
		return fmt.Errorf("%s (pid %d) still running", name, c.PID)
	}
	return nil
}

// StartComponent starts a stopped component again with the same arguments
// and waits until it is ready. tie makes it die with the calling process.
func (f *Fleet) StartComponent(ctx context.Context, name string, tie bool) error {
	c := f.Component(name)
	if c == nil {
		return fmt.Errorf("no component %q in the fleet", name)
	}
	if alive(c.PID) {
		return nil
	}
	if err := start(c, nil, tie); err != nil {
		return err
	}
	if err := f.save(); err != nil {
		return err
	}
	if c.Health == "" && c.Port > 0 {
		// No health URL (the object store): ready when it accepts
		// connections.
		return waitTCP(ctx, c, 60*time.Second)
	}
	ca, err := os.ReadFile(f.CAFile)
	if err != nil {
		return err
	}
	return waitReady(ctx, c, ca, f.Token, 90*time.Second)
}
