package pipeline_test

import (
	"io"
	"os"
	"testing"

	"github.com/go-logr/logr"
	"github.com/sirupsen/logrus"
	"k8s.io/klog/v2"
)

// TestMain quiets the engines' global loggers (Argo CD logs through
// logrus, Karmada through klog), as the CLI does.
func TestMain(m *testing.M) {
	klog.SetLogger(logr.Discard())
	logrus.SetOutput(io.Discard)
	dir, err := os.MkdirTemp("", "flotilla-bench-")
	if err != nil {
		panic(err)
	}
	benchDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
