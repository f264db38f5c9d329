// Package fleetnodes turns a Cluster's declared capacity into the Node
// objects a real cluster of that shape would hold, for the local fleet's
// kwok-run members: the declared node count, CPU, memory and pods shared
// so that the nodes' allocatable sums to exactly what the intent declares
// (what the offline placement preview divides by), spot and on-demand
// nodes in the declared share with the labels Karpenter and the cloud put
// on them (capacity type, node pool, instance type, zone, region), and on
// edge clusters the edge nodes of every EdgeGroup with KubeEdge's edge
// role, the group's match labels and taint; every node with the CPU
// labels Node Feature Discovery would report for its instance type. It
// computes plain data; the
// fleet package creates the objects and kwok keeps them alive.
package fleetnodes
