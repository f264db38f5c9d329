package fleet

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Roles of components, in the order Down stops them: controllers first,
// then the aggregated apiserver and webhook, then API servers, then etcd
// (an API server whose etcd is gone hangs on shutdown).
const (
	RoleController = "controller"
	RoleAggregated = "aggregated"
	RoleWebhook    = "webhook"
	RoleAPIServer  = "apiserver"
	RoleEtcd       = "etcd"
	RoleStore      = "store"
)

func stopRank(role string) int {
	switch role {
	case RoleController:
		return 0
	case RoleAggregated, RoleWebhook:
		return 1
	case RoleAPIServer:
		return 2
	case RoleEtcd, RoleStore:
		return 3
	}
	return 0
}

// Component is one process of the fleet.
type Component struct {
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	Cluster string   `json:"cluster"`
	Binary  string   `json:"binary"`
	Args    []string `json:"args"`
	PID     int      `json:"pid"`
	Port    int      `json:"port"`
	// Health is the URL that answers 200 when the component is ready.
	Health string `json:"health,omitempty"`
	// Env is added to the process environment (on every start).
	Env []string `json:"env,omitempty"`
	Log string   `json:"log"`
}

// freePort returns a port on 127.0.0.1 that nothing listens on, chosen
// below the kernel's ephemeral range. A port the kernel hands out for
// Listen(":0") comes from that range, and any outgoing connection (the
// fleet's own clients of etcd and the API servers) can take it between
// this check and the component's bind: seen in CI as "bind: address
// already in use".
func freePort() (int, error) {
	const lowest = 10000
	if top := ephemeralLow(); top > lowest+1000 {
		for range 200 {
			p := lowest + rand.IntN(top-lowest)
			if l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
				l.Close()
				return p, nil
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default when it cannot be read).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	return low
}

// ports returns n distinct free ports.
func ports(n int) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for len(out) < n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// start launches a component with its output in its log file. With tie
// set, the process dies with the calling process (tests), so a killed test
// binary leaves nothing behind.
func start(c *Component, env []string, tie bool) error {
	logf, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(c.Binary, c.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(append(os.Environ(), c.Env...), env...)
	cmd.Dir = filepath.Dir(c.Log)
	attr := &syscall.SysProcAttr{Setpgid: true}
	if tie {
		attr.Pdeathsig = syscall.SIGKILL
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", c.Name, err)
	}
	c.PID = cmd.Process.Pid
	// Reap the process when it exits, so a dead component is not a zombie
	// that still looks alive to kill(pid, 0).
	go func() { _ = cmd.Wait() }()
	return nil
}

// alive reports whether the process still runs.
func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie (exited, not reaped by a parent that is gone) is not alive.
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	if i := bytes.LastIndexByte(data, ')'); i > 0 && i+2 < len(data) {
		return data[i+2] != 'Z'
	}
	return true
}

// stop sends SIGTERM, waits, then SIGKILLs the component's process group.
func stop(c *Component, grace time.Duration) {
	if !alive(c.PID) {
		return
	}
	_ = syscall.Kill(-c.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if !alive(c.PID) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(-c.PID, syscall.SIGKILL)
	for i := 0; i < 40 && alive(c.PID); i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// tail returns the last lines of a log file.
func tail(path string, lines int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// CrashError reports a component that exited, with the end of its log.
type CrashError struct {
	Component string
	Log       string
	Tail      string
}

func (e *CrashError) Error() string {
	return fmt.Sprintf("%s exited; last lines of %s:\n%s", e.Component, e.Log, e.Tail)
}

// waitReady polls the component's health URL until it answers 200, the
// process dies, or the timeout passes.
func waitReady(ctx context.Context, c *Component, caPEM []byte, bearer string, timeout time.Duration) error {
	if c.Health == "" {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		if !alive(c.PID) {
			return &CrashError{Component: c.Name, Log: c.Log, Tail: tail(c.Log, 20)}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, c.Health, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s not ready after %s (%s); last lines of %s:\n%s", c.Name, timeout, last, c.Log, tail(c.Log, 15))
			}
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitTCP waits until the component accepts connections on its port.
func waitTCP(ctx context.Context, c *Component, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if !alive(c.PID) {
			return &CrashError{Component: c.Name, Log: c.Log, Tail: tail(c.Log, 20)}
		}
		conn, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", c.Port), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not listening on %d after %s; last lines of %s:\n%s", c.Name, c.Port, timeout, c.Log, tail(c.Log, 15))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// splitYAML cuts a multi-document YAML stream at "---" lines.
func splitYAML(s string) []string {
	var docs []string
	var cur []string
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " ") == "---" {
			docs = append(docs, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, line)
	}
	return append(docs, strings.Join(cur, "\n"))
}
