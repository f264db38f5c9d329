package apischema_test

import (
	"flag"
	"io"
	"os"
	"sync"
	"testing"

	"k8s.io/klog/v2"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
)

func TestMain(m *testing.M) {
	// Karmada's webhook handlers log every denial through klog; keep the
	// test output readable.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
	os.Exit(m.Run())
}

var shared struct {
	once sync.Once
	v    *apischema.Validator
	err  error
}

// validator returns one Validator for the whole package: New parses every
// CRD, which is the expensive part, and a Validator is safe to share.
func validator(t testing.TB) *apischema.Validator {
	t.Helper()
	shared.once.Do(func() { shared.v, shared.err = apischema.New(apischema.Options{}) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.v
}
