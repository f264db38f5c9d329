// Command kubeconformdiff compares, object by object, what kubeconform and
// `flotilla validate` say about the same folder of Kubernetes YAML
// (scripts/compare-kubeconform.sh runs both and calls it). It prints a
// Markdown report: how many objects each found valid, invalid or could not
// read, and every object on which they disagree, with both messages.
//
// Usage: kubeconformdiff KUBECONFORM.json FLOTILLA.json
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
)

// kubeconform's -output json -verbose.
type kcReport struct {
	Resources []struct {
		Filename string `json:"filename"`
		Kind     string `json:"kind"`
		Name     string `json:"name"`
		Status   string `json:"status"`
		Msg      string `json:"msg"`
	} `json:"resources"`
}

// flotilla validate -o json.
type flReport struct {
	Findings []struct {
		Source struct {
			File   string `json:"file"`
			Line   int    `json:"line"`
			Object string `json:"object"`
			Field  string `json:"field"`
			Msg    string `json:"message"`
		} `json:"source"`
		Type string `json:"type"`
	} `json:"findings"`
	Skipped []struct {
		File   string `json:"file"`
		Reason string `json:"reason"`
	} `json:"skipped"`
}

// Verdicts, in words both tools' statuses map onto.
const (
	valid    = "valid"
	invalid  = "invalid"
	unread   = "not read" // a file or document that could not be read as objects
	skipped  = "skipped"
	noSchema = "no schema"
)

type verdict struct {
	kc, fl       string
	kcMsg, flMsg []string
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: kubeconformdiff KUBECONFORM.json FLOTILLA.json")
		os.Exit(2)
	}
	if err := run(os.Stdout, os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "kubeconformdiff:", err)
		os.Exit(1)
	}
}

func run(w io.Writer, kcFile, flFile string) error {
	var kc kcReport
	var fl flReport
	if err := readJSON(kcFile, &kc); err != nil {
		return err
	}
	if err := readJSON(flFile, &fl); err != nil {
		return err
	}
	objects := map[string]*verdict{}
	get := func(key string) *verdict {
		if objects[key] == nil {
			objects[key] = &verdict{}
		}
		return objects[key]
	}
	for _, r := range kc.Resources {
		key := r.Filename + " (file)"
		if r.Kind != "" {
			key = r.Filename + " " + r.Kind + "/" + r.Name
		}
		v := get(key)
		switch r.Status {
		case "statusValid":
			v.kc = valid
		case "statusInvalid":
			v.kc = invalid
		case "statusSkipped":
			v.kc = skipped
		default:
			v.kc = unread
			if strings.Contains(r.Msg, "could not find schema") {
				v.kc = noSchema
			}
		}
		if r.Msg != "" {
			v.kcMsg = append(v.kcMsg, r.Msg)
		}
	}
	for _, f := range fl.Findings {
		key := f.Source.File + " (file)"
		if f.Source.Object != "" {
			// Kind/namespace/name or Kind/name: kubeconform names no
			// namespace.
			parts := strings.Split(f.Source.Object, "/")
			key = f.Source.File + " " + parts[0] + "/" + parts[len(parts)-1]
		}
		v := get(key)
		switch {
		case f.Type == "Unreadable":
			v.fl = unread
		case f.Type == "NoSchema":
			v.fl = noSchema
		case v.fl != unread:
			v.fl = invalid
		}
		msg := f.Source.Msg
		if f.Source.Field != "" {
			msg = f.Source.Field + ": " + msg
		}
		v.flMsg = append(v.flMsg, fmt.Sprintf("%d: %s", f.Source.Line, msg))
	}
	for _, s := range fl.Skipped {
		file := strings.TrimSuffix(s.File, "/")
		for key, v := range objects {
			if v.fl == "" && (strings.HasPrefix(key, file+" ") || strings.HasPrefix(key, file+"/")) {
				v.fl = skipped
				v.flMsg = append(v.flMsg, s.Reason)
			}
		}
	}
	keys := make([]string, 0, len(objects))
	for k, v := range objects {
		if v.fl == "" {
			v.fl = valid
		}
		if v.kc == "" {
			v.kc = "not listed"
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)

	count := func(pick func(*verdict) string) map[string]int {
		out := map[string]int{}
		for _, v := range objects {
			out[pick(v)]++
		}
		return out
	}
	kcCount, flCount := count(func(v *verdict) string { return v.kc }), count(func(v *verdict) string { return v.fl })
	fmt.Fprintf(w, "# kubeconform and flotilla validate on the same files\n\n")
	fmt.Fprintf(w, "| verdict | kubeconform | flotilla |\n|---|--:|--:|\n")
	for _, k := range []string{valid, invalid, unread, noSchema, skipped, "not listed"} {
		if kcCount[k]+flCount[k] > 0 {
			fmt.Fprintf(w, "| %s | %d | %d |\n", k, kcCount[k], flCount[k])
		}
	}
	var differ []string
	for _, k := range keys {
		if objects[k].kc != objects[k].fl {
			differ = append(differ, k)
		}
	}
	fmt.Fprintf(w, "\n%d objects and files; the verdicts agree on %d, differ on %d.\n", len(keys), len(keys)-len(differ), len(differ))
	if len(differ) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\n| object | kubeconform | flotilla |\n|---|---|---|\n")
	for _, k := range differ {
		v := objects[k]
		fmt.Fprintf(w, "| `%s` | %s | %s |\n", k, cell(v.kc, v.kcMsg), cell(v.fl, v.flMsg))
	}
	return nil
}

func cell(verdict string, msgs []string) string {
	if len(msgs) == 0 {
		return verdict
	}
	s := verdict + ": " + strings.Join(msgs, "; ")
	s = strings.ReplaceAll(s, "|", `\|`)
	if len(s) > 240 {
		s = s[:240] + "…"
	}
	return s
}

func readJSON(file string, into any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, into); err != nil {
		return fmt.Errorf("%s: %w", path.Base(file), err)
	}
	return nil
}
