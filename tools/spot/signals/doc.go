// Package signals reads spot-capacity signals in the formats the clouds and
// researchers publish, and the flotilla signals file that maps a fleet's
// spot pools to them:
//
//   - AWS `describe-spot-price-history` output, as JSON and in the
//     tab-separated shape (zone or zone ID, instance type, product, USD per
//     hour, RFC 3339 time), optionally zstd-compressed (ReadPriceHistory);
//   - the AWS Spot Instance Advisor's JSON: per region, OS and instance
//     type, the saving against on-demand and the interruption-frequency
//     bucket (ReadAdvisor);
//   - availability and preemption traces in the format of
//     skypilot-org/spot-traces (ReadTrace);
//   - a SpotSignals file (Load), documented in README.md.
//
// # Reading the SkyPilot traces
//
// The traces were published with the NSDI'24 paper "Can't Be Late:
// Optimizing Spot Instance Savings under Deadlines" (Wu, Chiang, Mao, Yang,
// Friedman, Shenker, Stoica) in the repository skypilot-org/spot-traces.
// Each file is {"metadata": {"gap_seconds": N}, "data": [...]}, and the
// repository says each value "is the number of available instances at a
// specific tick"; its maintainers confirmed for the preemption traces that
// "0 and 1 indicate the number of the available spot instances at the
// timestamp" and that the floats some of those files carry, under a
// separate "prices" key, are the spot price at each tick (issue #1 there).
// How the preemption traces were collected is not described in the paper
// (issue #2 there asks and is unanswered). This package reads them as
// follows, and the tests check the reading against the files:
//
//   - Availability traces (availability_<n>-node_...): a probe every tick;
//     the value is how many of n requested spot instances a launch got. The
//     1-node sets are 0/1 (us-east-1a of the 2023-02-15 set: 3,360 ones in
//     20,158 ticks of 195 s, 16.7 %), the 16-node set 0..16.
//   - Preemption traces (preemption_<n>-node_...): n instances kept
//     running; the value is how many were up at the tick. Twelve of the
//     fourteen files start at 0 (the first launch under way, eight of them
//     for a single tick), then hold runs of n with falls (a preemption) and
//     rises (a relaunch that got capacity); runs of 0 are the time a
//     relaunch could not get capacity. Three GCP files show one 0 and then
//     5,475 ticks of 1: an instance that ran two days without preemption,
//     which only this reading explains.
//
// Ticks are what metadata.gap_seconds says (195 s for the 9-zone V100 set,
// 32 or 34 s for the 1-node AWS preemption sets, 300 s for the multi-node
// sets), not the 10 minutes the paper mentions.
//
// # Missing signals
//
// A signal the file does not give is "unknown", never zero: an unknown
// spot price or interruption risk is not free capacity. Pool.Unknown says
// which; the optimizer moves no load toward such a pool. Inconsistent
// signals (a zone outside its region or a zone ID of another region, a
// trace of another zone or of the other kind, a pool without an on-demand
// price, a hand-written fixed spot price above on-demand, two prices at one
// time) are errors. A published spot price above on-demand (a negative
// advisor saving, a history row) is kept: it is what the market said, and
// since AWS's default maximum price is the on-demand price such capacity is
// simply not launched; the optimizer never prefers it.
// Every error names its file, line, column and field, and all of them are
// reported, not only the first.
package signals
