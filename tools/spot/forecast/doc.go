// Package forecast turns a pool's observed spot availability (a probe per
// step, as in the SkyPilot availability traces) into the estimates the
// optimizer takes: the expected share of time spot can be had over a
// coming horizon, and the expected rate of reclaims.
//
// The model is a two-state Markov chain (spot up, spot down) whose rates
// are counted over a trailing window: λ = up→down transitions per minute
// up, μ = down→up transitions per minute down, each with a prior of one
// transition per PriorExposure (so that a window without a transition
// does not claim a rate of zero, and a new pool starts at even odds). From
// the state observed now, the expected availability over [now+delay,
// now+delay+horizon] has a closed form: with κ = λ+μ and π = μ/κ,
// P(up at s) = π + (x₀ − π)·e^{−κs}, averaged over the interval. Only the
// past is used: an estimate at step t reads steps ≤ t.
package forecast
