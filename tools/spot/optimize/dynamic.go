package optimize

import (
	"math"
)

// The dynamic hedge (App.DynamicHedge) is a workload of its own, spot only,
// divided by Karmada's dynamic weights over the app's clusters: Karmada
// puts its replicas where spot is, and the karmada-descheduler evicts
// those a cluster can no longer run (unschedulable past its threshold) so
// that Karmada places them again where spot is. Flotilla plans its count;
// where each replica sits at a given minute is Karmada's doing, and the
// model can only know it in distribution:
//
//   - A replica leaves a cluster when the cluster loses all its spot
//     (rate lossRate) and lands in another that has spot, each about as
//     likely as its availability (Karmada's weights are the replicas each
//     cluster can take; equal where spot is, nothing where it is not). The
//     stationary share of a cluster is then π ∝ a·(A − a)/lossRate, A the
//     clusters' availabilities summed: replicas drift toward the clusters
//     that keep their spot.
//   - A replica sits in a cluster only while the cluster has spot, so at
//     the start of the cluster's outage (or a reclaim of one of its zones)
//     it holds a share θ = π/a of the hedge (at most all of it). That is
//     the correlation that matters: a hedge in the region whose outage
//     takes the primaries is lost with them.
//   - The replicas sit together: with the clusters' weights equal, the
//     remainder of each division (a scale-up of one replica, the replicas
//     the descheduler moves) goes to the cluster that already holds the
//     most (Karmada's dispenser keeps the last division's order). So a
//     domain holds the whole hedge with chance θ and none of it otherwise,
//     not θ of it always — on the 9-zone replay a region holding any of
//     an app's hedge at its outage held all of it 42 to 76 % of the time,
//     and the even spread read one primary lost as covered where the whole
//     hedge went with it.
//   - Lost in a zone's reclaim, a replica is replaced in another zone of
//     its cluster, as a primary is; lost with the cluster's whole spot, it
//     is unready for the descheduler's reaction (HedgeReactionMinutes),
//     longer than the primaries, which fall back to on-demand in place.
//   - While no cluster has spot it waits (and costs nothing).
//
// Risk: a domain's outcomes (up; a zone's reclaim; its whole spot going;
// the descheduler's reaction after it; down) take the share of the
// dynamic hedge above besides its own spot replicas; domains are
// independent, as for the per-cluster model.

// dynamicShares sets the problem's dynamic-hedge figures from its
// candidates: the share of the hedge each domain holds when it loses
// spot, the chance that no cluster has spot, and a replica's expected
// cost. It returns false when no cluster has known spot.
func (p *problem) dynamicShares() bool {
	p.hedgeTake = make([]float64, len(p.domains))
	p.hedgeZoneTake = make([]float64, len(p.domains))
	sumA := 0.0
	for _, c := range p.cands {
		if c.spotOK {
			sumA += c.a
		}
	}
	// Stationary shares; a rate of 0 (spot never lost) would hold every
	// replica forever: the floor keeps the arithmetic finite.
	const rateFloor = 1e-9
	pi := make([]float64, len(p.cands))
	z := 0.0
	for i, c := range p.cands {
		if c.spotOK && c.a > 0 {
			pi[i] = c.a * (sumA - c.a) / max(c.lossRate, rateFloor)
			z += pi[i]
		}
	}
	if z == 0 {
		// One cluster with spot (no other to go to): it holds them all.
		for i, c := range p.cands {
			if c.spotOK && c.a > 0 {
				pi[i] = c.a
				z += c.a
			}
		}
	}
	dark := map[int]bool{}
	price := 0.0
	for i, c := range p.cands {
		if !c.spotOK {
			continue
		}
		dark[c.domain] = true
		if z == 0 {
			continue
		}
		pi[i] /= z
		price += pi[i] * c.pSpot
		theta := 0.0
		if c.a > 0 {
			theta = min(1, pi[i]/c.a)
		}
		share := c.share
		if share <= 0 || share >= 1 {
			share = 1
		}
		p.hedgeTake[c.domain] += theta
		p.hedgeZoneTake[c.domain] += theta * share
	}
	for d := range p.hedgeTake {
		p.hedgeTake[d] = min(1, p.hedgeTake[d])
		p.hedgeZoneTake[d] = min(p.hedgeTake[d], p.hedgeZoneTake[d])
	}
	p.allDark = 1
	for d := range dark {
		p.allDark *= p.domains[d].down
	}
	p.eDyn = (1 - p.allDark) * price
	return len(dark) > 0
}

// splitTake is a fractional take as its two whole neighbours: lo, hi and
// the chance of hi that makes the mean x.
func splitTake(x float64) (lo, hi int, pHi float64) {
	lo = int(math.Floor(x + 1e-9))
	hi = max(lo, int(math.Ceil(x-1e-9)))
	if hi > lo {
		pHi = x - float64(lo)
	}
	return lo, hi, pHi
}

// domainFactor writes into f (its length T) domain d's distribution of
// replicas lost at a random minute, cut at T (losses of T or more are
// dropped: only the chance of losing at most the hedge matters), with dyn
// replicas of the dynamic hedge — all of them in the domain with chance θ,
// none otherwise — and the state's own exposure there when own is set
// (else the hedge alone). It returns the mean loss (uncut).
func (p *problem) domainFactor(s *state, d, dyn int, own bool, f []float64) float64 {
	clear(f)
	r := p.domains[d]
	frac, full, down := 0.0, 0.0, 0
	if own {
		frac, full, down = s.expFrac[d], float64(s.expFull[d]), s.expDown[d]
	}
	h := float64(dyn)
	theta := p.hedgeTake[d]
	if dyn == 0 {
		theta = 0
	}
	// A zone's reclaim takes its share of the hedge as of the primaries.
	zone := 0.0
	if p.hedgeTake[d] > 0 {
		zone = p.hedgeZoneTake[d] / p.hedgeTake[d]
	}
	mean := 0.0
	put := func(pr, x float64) {
		if pr <= 0 {
			return
		}
		lo, hi, pHi := splitTake(x)
		if lo < len(f) {
			f[lo] += pr * (1 - pHi)
		}
		if hi < len(f) {
			f[hi] += pr * pHi
		}
		mean += pr * x
	}
	up := 1 - r.recovering - r.outage - r.react - r.down
	put(up, 0)
	put(r.recovering*theta, frac+h*zone)
	put(r.recovering*(1-theta), frac)
	put(r.outage*theta, full+h)
	put(r.outage*(1-theta), full)
	put(r.react*theta, h)
	put(r.react*(1-theta), 0)
	put(r.down, float64(down))
	return mean
}

// riskDynamic is riskShortfall with the dynamic hedge: the chance that
// the replicas lost exceed the hedges (of every sort), and the expected
// shortfall. Every domain may hold part of the hedge, so every domain
// counts; the hedge alone over all domains is convolved once per hedge
// count (problem.hedgeOnly), and a state's domains with replicas of their
// own replace their factor in it (divided out, which is stable: a domain
// loses nothing most of the time), so a step costs what it costs without
// the hedge. Only the distribution up to the hedge is kept; the
// shortfall comes from the means.
func (p *problem) riskDynamic(s *state, buf []float64) (float64, float64) {
	h := s.hedges()
	T := h + 1
	if cap(buf) < 3*T {
		buf = make([]float64, 3*T)
	}
	dist, g, hf := buf[:T], buf[T:2*T], buf[2*T:3*T]
	base, baseMean, ok := p.hedgeOnly(s.dyn, T)
	mean := baseMean
	if ok {
		copy(dist, base)
	}
	direct := !ok
	if !direct {
		for d := range p.domains {
			if s.expFull[d] == 0 && s.expDown[d] == 0 {
				continue
			}
			mh := p.domainFactor(s, d, s.dyn, false, hf)
			if hf[0] < 0.5 {
				direct = true // dividing by it would not be stable
				break
			}
			mg := p.domainFactor(s, d, s.dyn, true, g)
			deconvolve(dist, hf)
			convolve(dist, g)
			mean += mg - mh
		}
	}
	if direct {
		clear(dist)
		dist[0] = 1
		mean = 0
		for d := range p.domains {
			mean += p.domainFactor(s, d, s.dyn, true, g)
			convolve(dist, g)
		}
	}
	within, slack := 0.0, 0.0
	for k, x := range dist {
		within += x
		slack += x * float64(h-k)
	}
	risk := max(0, 1-within)
	// E[(loss − h)⁺] = E[loss] − h + E[(h − loss)⁺].
	short := max(0, mean-float64(h)+slack)
	// While no cluster has spot the dynamic hedge waits: only the
	// replicas that wait then (no fall-back) make a difference, counted
	// above against every hedge.
	if s.dyn > 0 && p.allDark > 0 {
		waiting := 0
		for _, x := range s.expDown {
			waiting += x
		}
		if waiting > h-s.dyn && waiting <= h {
			risk += p.allDark
		}
		short += p.allDark * float64(max(0, waiting-(h-s.dyn))-max(0, waiting-h))
	}
	return min(1, risk), short
}

// hedgeOnly returns the distribution (cut at T) and mean of the dynamic
// hedge's loss over all domains with dyn replicas and none of the app's
// own, from the problem's cache where it holds them (filled when the
// problem is built: problems are read by several goroutines after); ok
// is false when a domain's factor cannot be divided out stably (then the
// caller convolves every domain).
func (p *problem) hedgeOnly(dyn, T int) ([]float64, float64, bool) {
	if dyn < len(p.hedgeCache) && len(p.hedgeCache[dyn].dist) >= T {
		c := &p.hedgeCache[dyn]
		return c.dist[:T], c.mean, c.ok
	}
	c := p.hedgeDistribution(dyn, T)
	return c.dist, c.mean, c.ok
}

// hedgeDistribution convolves the hedge-only factors of every domain.
func (p *problem) hedgeDistribution(dyn, T int) hedgeDist {
	dist := make([]float64, T)
	dist[0] = 1
	f := make([]float64, T)
	mean, ok := 0.0, true
	for d := range p.domains {
		mean += p.domainFactor(nil, d, dyn, false, f)
		ok = ok && f[0] >= 0.5
		convolve(dist, f)
	}
	return hedgeDist{dist: dist, mean: mean, ok: ok}
}

// hedgeDist is a cached hedge-only distribution.
type hedgeDist struct {
	dist []float64
	mean float64
	ok   bool
}

// convolve sets a to a ⊛ f, both cut at len(a).
func convolve(a, f []float64) {
	for k := len(a) - 1; k >= 0; k-- {
		v := 0.0
		for j := 0; j <= k && j < len(f); j++ {
			v += f[j] * a[k-j]
		}
		a[k] = v
	}
}

// deconvolve sets a to the x with x ⊛ f = a, both cut at len(a); f[0]
// must be well above 0.
func deconvolve(a, f []float64) {
	for k := range a {
		v := a[k]
		for j := 1; j <= k && j < len(f); j++ {
			v -= f[j] * a[k-j]
		}
		a[k] = v / f[0]
	}
}
