// Package optimize plans how an app's replicas are divided over the
// clusters its placement allows — the Karmada static weights — and, in each
// cluster, how many run on on-demand, how many on spot (with the cluster's
// on-demand fall-back) and how many extra spot replicas hedge against
// reclaims, so that the expected cost is lowest while N replicas are ready
// for the target share of time, within the caps per cluster and region and
// above the on-demand floor. It is the pure core of `flotilla spot
// rebalance`: plain structs in and out, no intent or CLI types.
//
// # The model
//
// Each cluster brings a spot price, an on-demand price, and two estimates
// for the plan's horizon: the share of time spot can be had (a) and the
// rate of reclaims (λ per hour). Clusters share a failure domain (their
// zone) when they lose spot together. At a random minute a domain is up,
// recovering from a reclaim (probability λ·R/60, R the minutes a reclaimed
// replica is unready when the cluster replaces it at the notice: start-up
// less the notice, plus the failed spot launch when it falls back to
// on-demand), or down (1 − a). Recovering, the reclaim takes the spot and
// hedge replicas of the zone hit (a cluster's reclaim share of them,
// ⌊share·k⌋ or ⌈share·k⌉; all of them when the domain's last zone goes).
// Down, spot and hedge replicas of clusters with a fall-back run on
// on-demand — the fast path flotilla renders, which needs no commit — so
// darkness is a cost, not a loss; without a fall-back they wait, and so
// do spot-only hedges (a capacity-type selector keeps them off
// on-demand: cheaper, and no cover while their cluster is dark). The
// plan's risk is the chance that the replicas unready at once exceed the
// hedge, with domains independent; a new plan keeps it within
// (1 − target)/RiskSlack. The expected cost per hour of a replica is the
// on-demand price for on-demand ones, a·spot + (1 − a)·on-demand for spot
// and hedge replicas with a fall-back, a·spot without and for spot-only
// hedges.
//
// So the hedge is sized to the largest loss of one reclaim (a zone, or a
// whole cluster when its last zone goes) and placed outside the domain it
// covers; spreading spot over domains makes that loss smaller, and an
// on-demand replica is bought only where the hedge cannot cover the
// transitions within the budget (the objective's MaxHedge, overlapping
// reclaims).
//
// # The dynamic hedge
//
// An app may instead have its hedge run as Karmada's fast path runs it
// (App.DynamicHedge): a workload of its own, spot only, divided by
// Karmada's dynamic weights, with the karmada-descheduler moving replicas
// that a cluster without spot cannot run. The plan gives the primaries per
// cluster and the hedge as a count; Karmada places the hedge. A replica
// costs spot where it runs and nothing while no cluster has spot. Its
// availability is what the fast path gives it: lost with its zone's reclaim
// (replaced in another zone, as a primary is), lost for the descheduler's
// reaction (Options.HedgeReactionMinutes) when its cluster's whole spot
// goes, and waiting while no cluster has spot. Where it sits is modelled in
// distribution: replicas leave a cluster at its outage rate and land where
// spot is, so they drift toward the clusters that keep their spot (a
// stationary share π ∝ a·(A − a)/rate), and a cluster losing its spot holds
// θ = π/a of them — the hedge a reclaim takes together with the primaries
// it should cover. dynamic.go says how the risk is convolved.
//
// # The search
//
// Replicas go first to the cheapest options under the caps (greedy is
// exact here: the caps form a laminar family). While the risk exceeds the
// budget, the step that removes the most risk per dollar is taken: add a
// hedge (of either sort), move a spot replica to another domain, or pin
// one to on-demand — from each start once with the cheapest step that
// completes the repair, once always by risk per dollar. Then steps that
// save money without breaking the budget are taken back (hedges removed,
// moved or made spot-only, on-demand above the floor returned to spot,
// replicas moved to cheaper clusters). With the dynamic hedge the starts
// hold the primaries alone (and also spot gathered in one domain with the
// rest on on-demand), each tried with every hedge count up to MaxHedge,
// and the steps add or remove a replica of the count instead of placing
// hedges. Every choice breaks ties by cluster name, so
// the same input gives the same plan at any parallelism.
//
// # Hysteresis
//
// The optimum replaces the current division only when the saving reaches
// Limits.MinSaving of the current expected cost and the last move is
// Limits.MinInterval old — unless the current division misses the
// objective, which is moved regardless — and never beyond
// Limits.MaxMovesPerDay. The risk's band (Limits.RiskSlack) lies inside
// the objective: plans are made with margin, and kept up to the target. Each change comes with a Move that names its
// clusters, replicas and figures, so a commit message can be written from
// it (Move.String).
//
// # Unknown signals
//
// A cluster whose spot price or risk is unknown (Cluster.SpotKnown false)
// gets no new replicas, and the ones it has are planned on on-demand.
//
// # Mapping from intent (for the rebalance command)
//
// Cluster: name, region, domain = zone (or zone/instance type for a
// cluster with several pools, their estimates combined by the caller),
// prices from the signals, Availability and InterruptionsPerHour from
// package forecast (or the advisor's bucket when there is no trace),
// Fallback = the cluster's autoscaler renders an on-demand fall-back,
// Capacity from the cluster's declared capacity. App: the clusters its
// placement selects, and the objective's fields one to one; Current from
// the app's static weights and splits as rendered; Moves from the Git
// history of its rebalance commits.
package optimize
