package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	velerov1 "github.com/vmware-tanzu/velero/pkg/apis/velero/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// retryEvery is how soon a wait reads an object again after its watch
// broke or its API server did not answer.
const retryEvery = 500 * time.Millisecond

// waitFor waits until cond holds for the named object, within timeout, and
// returns the object as last seen. It lists the object and then watches it
// from that version, so it sees each status write Velero makes as it
// happens: a poll interval would add its own delay to every phase, which
// is orchestration overhead. A broken watch, or an API server that does
// not answer, falls back to listing again; the last such error is kept for
// the timeout's message. A stopError from cond ends the wait at once.
// list is an empty list of the object's kind (the watch's type).
func waitFor[T client.Object](ctx context.Context, c client.WithWatch, key client.ObjectKey, list client.ObjectList, timeout time.Duration, what string, cond func(T) (bool, error)) (T, error) {
	var last T
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		done, err := func() (bool, error) {
			opts := []client.ListOption{client.InNamespace(key.Namespace), client.MatchingFieldsSelector{Selector: fields.OneTermEqualSelector("metadata.name", key.Name)}}
			if err := c.List(ctx, list, opts...); err != nil {
				return false, err
			}
			items, err := meta.ExtractList(list)
			if err != nil {
				return false, err
			}
			for _, it := range items {
				if o, ok := it.(T); ok {
					last = o
					if done, err := cond(o); done || err != nil {
						return done, err
					}
				}
			}
			rv := list.(metav1.ListInterface).GetResourceVersion()
			w, err := c.Watch(ctx, list, append(opts, &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: rv}})...)
			if err != nil {
				return false, err
			}
			defer w.Stop()
			for ev := range w.ResultChan() {
				switch ev.Type {
				case watch.Added, watch.Modified:
					if o, ok := ev.Object.(T); ok {
						last = o
						if done, err := cond(o); done || err != nil {
							return done, err
						}
					}
				case watch.Error:
					return false, fmt.Errorf("watch: %v", ev.Object)
				}
			}
			return false, nil // the server closed the watch: list again
		}()
		var stop *stopError
		switch {
		case done:
			return last, nil
		case errors.As(err, &stop):
			return last, stop.err
		case err != nil && ctx.Err() == nil && !clientDeadline(err):
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return last, context.Cause(ctx) // interrupted, or ended by the caller
			}
			if lastErr != nil {
				return last, fmt.Errorf("%s: not done after %s (last error: %v)", what, timeout, lastErr)
			}
			return last, fmt.Errorf("%s: not done after %s", what, timeout)
		case <-time.After(retryEvery):
		}
	}
}

// poll waits for cond within the phase timeout, for reads that have no
// moment to react to (a location's propagation, its validation).
func (r *runner) poll(ctx context.Context, what string, cond func(ctx context.Context) (bool, error)) error {
	var last error
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, r.o.PhaseTimeout, true, func(ctx context.Context) (bool, error) {
		ok, err := cond(ctx)
		var stop *stopError
		if errors.As(err, &stop) {
			return false, stop.err
		}
		if err != nil {
			if ctx.Err() == nil && !clientDeadline(err) {
				last = err // not the client's own complaint about the deadline
			}
			return false, nil
		}
		return ok, nil
	})
	if err != nil && wait.Interrupted(err) && ctx.Err() == nil {
		if last != nil {
			return fmt.Errorf("%s: not done after %s (last error: %v)", what, r.o.PhaseTimeout, last)
		}
		return fmt.Errorf("%s: not done after %s", what, r.o.PhaseTimeout)
	}
	return err
}

// clientDeadline says whether an error is the client refusing to start a
// request the wait's deadline would cut short (client-go's rate limiter:
// "client rate limiter Wait returned an error: rate: Wait(n=1) would
// exceed context deadline"), or the deadline itself: the wait ending, not
// what it waited for.
func clientDeadline(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) ||
		strings.Contains(err.Error(), "would exceed context deadline")
}

// stopError ends a wait at once (a terminal Velero phase).
type stopError struct{ err error }

func (e *stopError) Error() string { return e.err.Error() }

func stop(format string, args ...any) error { return &stopError{fmt.Errorf(format, args...)} }

// defaultValidationFrequency is how often Velero re-validates a location
// that sets no spec.validationFrequency (the server's default).
const defaultValidationFrequency = time.Minute

// unavailableNow says whether Velero holds a location Unavailable and will
// not look at it again soon: it validated it within its validation
// frequency. An older Unavailable (left by an earlier server: Karmada
// retains the status members write) is about to be validated again, so a
// wait should give Velero that chance rather than fail on it.
func unavailableNow(bsl *velerov1.BackupStorageLocation, now time.Time) bool {
	if bsl.Status.Phase != velerov1.BackupStorageLocationPhaseUnavailable {
		return false
	}
	last := bsl.Status.LastValidationTime
	if last == nil {
		return true
	}
	freq := defaultValidationFrequency
	if f := bsl.Spec.ValidationFrequency; f != nil && f.Duration > 0 {
		freq = f.Duration
	}
	// Velero's timestamps have whole seconds: allow for the truncation.
	return now.Before(last.Add(freq + time.Second))
}
