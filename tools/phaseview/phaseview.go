package phaseview

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Options configure a View.
type Options struct {
	// Title starts every line ("drill").
	Title string
	// TTY redraws the current phase in place; without it the view writes
	// plain lines only.
	TTY bool
	// Every is how often a terminal line is redrawn (default 200ms).
	Every time.Duration
	// Now is the clock (default time.Now); Tick, when set, replaces the
	// redraw ticker (tests): each redraw shows the time it carries.
	Now  func() time.Time
	Tick <-chan time.Time
}

// View writes a run's progress. Its methods may be called from any
// goroutine; Close stops the redrawing and must be called once the run
// has ended.
type View struct {
	w io.Writer
	o Options

	mu      sync.Mutex
	started time.Time // the run's start
	phase   string
	since   time.Time // the current phase's start
	drawn   bool      // a redrawable line is on the terminal

	stop chan struct{}
	wg   sync.WaitGroup
}

// New starts a view; on a terminal it redraws until Close.
func New(w io.Writer, o Options) *View {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Every <= 0 {
		o.Every = 200 * time.Millisecond
	}
	v := &View{w: w, o: o, started: o.Now(), stop: make(chan struct{})}
	if o.TTY {
		tick := o.Tick
		var t *time.Ticker
		if tick == nil {
			t = time.NewTicker(o.Every)
			tick = t.C
		}
		v.wg.Add(1)
		go func() {
			defer v.wg.Done()
			if t != nil {
				defer t.Stop()
			}
			for {
				select {
				case <-v.stop:
					return
				case now := <-tick:
					v.mu.Lock()
					v.redraw(now)
					v.mu.Unlock()
				}
			}
		}()
	}
	return v
}

// Begin says a phase started.
func (v *View) Begin(phase string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.phase, v.since = phase, v.o.Now()
	if v.o.TTY {
		v.redraw(v.since)
		return
	}
	fmt.Fprintf(v.w, "%s: %s…\n", v.o.Title, phase)
}

// End says a phase ended, after took; err empty when it succeeded; msg
// says what it did.
func (v *View) End(phase string, took time.Duration, err, msg string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.phase == phase {
		v.phase = ""
	}
	status := "done"
	mark := "✓"
	if err != "" {
		status, mark, msg = "FAILED", "✗", err
	}
	if v.o.TTY {
		v.clear()
		fmt.Fprintf(v.w, "%s %-14s %8s  %s\n", mark, phase, round(took), oneLine(msg))
		return
	}
	fmt.Fprintf(v.w, "%s: %s %s in %s — %s\n", v.o.Title, phase, status, round(took), oneLine(msg))
}

// Close stops redrawing and clears the redrawn line.
func (v *View) Close() {
	close(v.stop)
	v.wg.Wait()
	v.mu.Lock()
	defer v.mu.Unlock()
	v.clear()
}

// redraw writes the current phase's line in place as of now (a tick's
// time) (v.mu held).
func (v *View) redraw(now time.Time) {
	if v.phase == "" {
		return
	}
	fmt.Fprintf(v.w, "\r\033[K… %-14s %8s  (%s %s)", v.phase, round(now.Sub(v.since)), v.o.Title, round(now.Sub(v.started)))
	v.drawn = true
}

// clear erases the redrawn line (v.mu held).
func (v *View) clear() {
	if v.drawn {
		io.WriteString(v.w, "\r\033[K")
		v.drawn = false
	}
}

func round(d time.Duration) string {
	if d >= time.Minute {
		return d.Round(time.Second).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// oneLine keeps a message on its line: a terminal line redrawn in place
// must not wrap into the next.
func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
