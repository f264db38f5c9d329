// Command flotilla-engines builds the local fleet's engine binaries — what
// `flotilla fleet build` does — for scripts/build-engines.sh. It imports
// package engines and nothing of the command line: on a machine with no
// build cache, `go run` compiles about 100 packages instead of the CLI's
// 2,500, and does not race `go vet`, which compiles those 2,500 at the same
// moment in `make test`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/flotilla-gitops/flotilla/tools/engines"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "flotilla-engines:", err)
		os.Exit(1)
	}
}

// run builds every engine of the checkout at the working directory (the
// script changes to the repository's root first).
func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments (got %q): the engines are pinned in scripts/engines", args)
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := engines.CheckRepoRoot(root); err != nil {
		return err
	}
	start := time.Now()
	if _, err := engines.Build(ctx, root, os.Stdout); err != nil {
		return err
	}
	fmt.Printf("engine binaries ready in %s\n", time.Since(start).Round(time.Second))
	return nil
}
