// Package fleet runs a real Karmada fleet on one machine: a Karmada control
// plane (etcd, kube-apiserver, karmada-aggregated-apiserver,
// karmada-webhook, karmada-controller-manager, karmada-scheduler, and
// kube-controller-manager for garbage collection) and one member per
// cluster, each a kube-apiserver with its own etcd — all on 127.0.0.1 with
// free ports, from the binaries package engines builds.
//
// It generates its own PKI and tokens, installs the CRDs of Karmada,
// Velero, KubeEdge and Prometheus Operator, registers the members as Karmada
// Clusters in Push mode carrying the repository's provider, region, zone,
// labels and taints, and writes a kubeconfig with one context per cluster.
// State (PIDs, ports, PKI, logs) lives in one folder; Down stops everything
// by PID in the right order (API servers before their etcd) and removes it.
//
// That folder is usually .fleet/ in the repository, where a repository can
// commit files too, so Up records what it wrote outside it (Record, in the
// user's state folder): Load trusts only a state.json that record matches,
// and CheckKubeconfig only the kubeconfig it hashed.
package fleet
