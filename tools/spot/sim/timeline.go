package sim

// timelineRec gathers one app's readiness per bucket of minutes.
type timelineRec struct {
	bucket   int
	minReady []int32
	sumReady []int64
	sumSpot  []int64
	count    []int64
}

func newTimelineRec(minutes, bucket int) *timelineRec {
	n := (minutes + bucket - 1) / bucket
	r := &timelineRec{bucket: bucket, minReady: make([]int32, n), sumReady: make([]int64, n), sumSpot: make([]int64, n), count: make([]int64, n)}
	for i := range r.minReady {
		r.minReady[i] = never
	}
	return r
}

// add records minutes [t, end) with ready replicas, spot of them.
func (r *timelineRec) add(t, end, ready, spot int) {
	for t < end {
		b := t / r.bucket
		stop := min(end, (b+1)*r.bucket)
		d := int64(stop - t)
		r.minReady[b] = min(r.minReady[b], int32(ready))
		r.sumReady[b] += int64(ready) * d
		r.sumSpot[b] += int64(spot) * d
		r.count[b] += d
		t = stop
	}
}

func (r *timelineRec) series(p Policy) TimelineSeries {
	s := TimelineSeries{Policy: p, MinReady: make([]int, len(r.count)), MeanReady: make([]float64, len(r.count)), SpotShare: make([]float64, len(r.count))}
	for i := range r.count {
		if r.count[i] == 0 {
			continue
		}
		s.MinReady[i] = int(r.minReady[i])
		s.MeanReady[i] = float64(r.sumReady[i]) / float64(r.count[i])
		if r.sumReady[i] > 0 {
			s.SpotShare[i] = float64(r.sumSpot[i]) / float64(r.sumReady[i])
		}
	}
	return s
}
