// Command flotilla renders, checks and drives a multi-cluster GitOps fleet.
// See package cli for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/flotilla-gitops/flotilla/tools/cli"
	"github.com/flotilla-gitops/flotilla/tools/internal/heapcap"
)

// profileEnv names a file to write a CPU profile of the whole run to (for
// `go tool pprof`), when set; heapProfileEnv one for a heap profile written
// when the command returns (its inuse_space is what was live at the last
// collection, alloc_space what the run allocated in all).
const (
	profileEnv     = "FLOTILLA_CPUPROFILE"
	heapProfileEnv = "FLOTILLA_HEAPPROFILE"
)

func main() {
	// The collector's policy (heapcap's doc says why); GOGC and
	// GOMEMLIMIT in the environment win.
	stopHeapCap := heapcap.Start(heapcap.Default, os.LookupEnv)
	cli.QuietLibraryLoggers()
	stopProfile := startProfile(os.Getenv(profileEnv))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], cli.IO{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr})
	stop()
	stopProfile()
	writeHeapProfile(os.Getenv(heapProfileEnv))
	stopHeapCap()
	os.Exit(code)
}

// writeHeapProfile writes the heap profile into path ("": none). A profile
// that cannot be written is reported, not fatal.
func writeHeapProfile(path string) {
	if path == "" {
		return
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "flotilla: %s: %v\n", heapProfileEnv, err)
	}
}

// startProfile starts a CPU profile into path ("" : none) and returns
// what stops it. A profile that cannot start is reported, not fatal.
func startProfile(path string) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "flotilla: %s: %v\n", profileEnv, err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
