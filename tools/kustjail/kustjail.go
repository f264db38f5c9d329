package kustjail

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/fluxcd/pkg/kustomize"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/flotilla-gitops/flotilla/tools/bounds"
	"github.com/flotilla-gitops/flotilla/tools/diag"
	"github.com/flotilla-gitops/flotilla/tools/repofs"
	"github.com/flotilla-gitops/flotilla/tools/yamldoc"
)

// Options configure Build.
type Options struct {
	// Bounds are the input bounds (zero fields: defaults).
	Bounds bounds.Input
	// Docs, when set, shares parsing the YAML files with other readers.
	Docs *yamldoc.Cache
}

// BuildError is kustomize's own failure, once vetting passed.
type BuildError struct {
	// Msg is kustomize's message, its paths repository-relative.
	Msg string
	// Err is kustomize's error.
	Err error
}

func (e *BuildError) Error() string { return e.Msg }

// Unwrap returns kustomize's error.
func (e *BuildError) Unwrap() error { return e.Err }

// Build vets the kustomization in dir (repository-relative) and every one
// it reaches, then builds it with kustomize (through fluxcd/pkg/kustomize:
// builtin plugins only, panics recovered) over an in-memory copy of
// exactly the files vetting found. What vetting finds comes back as a
// diag.List, every problem of every kustomization; kustomize's own
// failure as a *BuildError.
func Build(fsys fs.FS, dir string, opts Options) (resmap.ResMap, error) {
	opts.Bounds = opts.Bounds.WithDefaults()
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	v := Vet(fsys, dir, opts)
	if len(v.Errors) > 0 {
		return nil, v.Errors
	}
	mem := filesys.MakeFsInMemory()
	for _, d := range v.Dirs {
		if err := mem.MkdirAll("/" + d); err != nil {
			return nil, err
		}
	}
	for _, p := range v.Files {
		if err := mem.WriteFile("/"+p, v.data[p]); err != nil {
			return nil, err
		}
	}
	rm, err := kustomize.Build(mem, "/"+dir)
	if err != nil {
		return nil, &BuildError{Msg: relative(err.Error()), Err: err}
	}
	return rm, nil
}

// kustomizeMu serializes every use of kustomize here, vetting included:
// kustomize and kyaml keep package state (the OpenAPI schema, caches)
// that concurrent builds race on (kubernetes-sigs/kustomize#3659), which
// is why fluxcd/pkg/kustomize serializes its builds too. It guards that
// third-party state, and nothing of flotilla's.
var kustomizeMu sync.Mutex

// memRoot matches the in-memory file system's absolute paths in
// kustomize's messages ("/apps/web/x.yaml"), so they read as the
// repository-relative paths they are.
var memRoot = regexp.MustCompile(`(^|[\s'"(=\[])/([^\s/'"])`)

func relative(msg string) string { return memRoot.ReplaceAllString(msg, "$1$2") }

// Vetted is what vetting a kustomization found.
type Vetted struct {
	// Files are the files the build may read, repository-relative and
	// sorted: kustomizations, resources, patches, generator inputs.
	Files []string
	// Dirs are the kustomization folders the build may enter, sorted.
	Dirs []string
	// Objects estimates the objects the build yields: every resource
	// document and generated object, counted once per path that reaches
	// it, as kustomize accumulates them.
	Objects int64
	// Errors are every problem found, sorted.
	Errors diag.List

	data map[string][]byte
}

// Vet checks the kustomization in dir and every one it reaches, without
// running kustomize.
func Vet(fsys fs.FS, dir string, opts Options) (vetted *Vetted) {
	opts.Bounds = opts.Bounds.WithDefaults()
	// Kustomize's decoders panic on some input; like
	// fluxcd/pkg/kustomize.Build, turn that into an error.
	defer func() {
		if r := recover(); r != nil {
			vetted = &Vetted{Errors: diag.List{{File: dir, Msg: fmt.Sprintf("kustomize failed reading the kustomization: %v", r)}}}
		}
	}()
	v := &vetter{
		fsys:   fsys,
		opts:   opts,
		data:   map[string][]byte{},
		dirs:   map[string]bool{},
		memo:   map[string]int64{},
		active: map[string]bool{},
		rf:     provider.NewDefaultDepProvider().GetResourceFactory(),
	}
	v.rmf = resmap.NewFactory(v.rf)
	out := &Vetted{data: v.data}
	out.Objects = v.kustomization(dir, place{})
	if len(v.errs) == 0 && out.Objects > int64(opts.Bounds.Objects) {
		v.errs = append(v.errs, &diag.Error{File: v.top, Line: 1, Msg: fmt.Sprintf("kustomize would build more than %d objects from here, over the objects-per-render bound (raise it with --%s)", opts.Bounds.Objects, bounds.FlagObjects)})
	}
	for p := range v.data {
		out.Files = append(out.Files, p)
	}
	for d := range v.dirs {
		out.Dirs = append(out.Dirs, d)
	}
	slices.Sort(out.Files)
	slices.Sort(out.Dirs)
	out.Errors = v.errs.Sort()
	return out
}

// vetter walks the kustomizations of one build.
type vetter struct {
	fsys fs.FS
	opts Options
	// data holds every vetted file's content.
	data map[string][]byte
	dirs map[string]bool
	// memo is each kustomization folder's object estimate; active the
	// folders being walked (a cycle, which kustomize refuses itself).
	memo   map[string]int64
	active map[string]bool
	errs   diag.List
	// top is the first kustomization file.
	top string
	rf  *resource.Factory
	rmf *resmap.Factory
}

// place is a field that names a file: where errors about it point.
type place struct {
	file  string
	doc   *yamldoc.Document
	field string
	// what, when set, says which plugin field inside the entry holds the
	// reference (a configuration listed under generators).
	what string
}

func (pl place) at(field string) place { pl.field = field; return pl }

func (pl place) err(format string, args ...any) *diag.Error {
	msg := pl.what + fmt.Sprintf(format, args...)
	if pl.doc != nil {
		e := pl.doc.Err(pl.field, "%s", msg)
		return e
	}
	return &diag.Error{File: pl.file, Line: 1, Field: pl.field, Msg: msg}
}

// remoteForms are the references kustomize fetches (loader.IsRemoteFile:
// any URL with an http or https scheme) or clones with git
// (git.NewRepoSpecFromURL: an ssh, https, http or file scheme, "git::",
// user@host:path, or github.com/ with no scheme). Any scheme at all is
// refused, not only those: a reference is a path in the repository.
var (
	schemeForm = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	userForm   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*@`)
)

// Remote says a reference is one kustomize would fetch or clone.
func Remote(ref string) bool {
	lower := strings.ToLower(ref)
	return schemeForm.MatchString(ref) || userForm.MatchString(ref) ||
		strings.HasPrefix(lower, "github.com/") || strings.HasPrefix(lower, "github.com:")
}

// local checks a reference from the kustomization in dir and returns the
// repository-relative path it names.
func (v *vetter) local(dir, ref string, pl place) (string, bool) {
	switch {
	case ref == "":
		v.errs = append(v.errs, pl.err("is empty"))
	case Remote(ref):
		v.errs = append(v.errs, pl.err("%q is a remote reference: flotilla builds only what the repository holds, and never fetches", ref))
	case path.IsAbs(ref):
		v.errs = append(v.errs, pl.err("%q is an absolute path: a kustomization names files relative to its folder", ref))
	default:
		p := path.Join(dir, ref)
		if p == ".." || strings.HasPrefix(p, "../") {
			v.errs = append(v.errs, pl.err("%q leads outside the repository", ref))
			return "", false
		}
		return p, true
	}
	return "", false
}

// read reads a file through the jail and keeps it for the copy.
func (v *vetter) read(p, ref string, pl place) ([]byte, bool) {
	if data, ok := v.data[p]; ok {
		return data, true
	}
	data, err := fs.ReadFile(v.fsys, p)
	if err != nil {
		v.errs = append(v.errs, pl.err("%s: %s", ref, repofs.Message(err)))
		return nil, false
	}
	v.data[p] = data
	return data, true
}

// parse parses a YAML file within the bounds, so kustomize, which expands
// aliases, never sees one over them.
func (v *vetter) parse(p string, data []byte) ([]*yamldoc.Document, bool) {
	var docs []*yamldoc.Document
	var errs []error
	if v.opts.Docs != nil {
		docs, errs = v.opts.Docs.Parse(p, data)
	} else {
		docs, errs = yamldoc.ParseBounded(p, data, v.opts.Bounds)
	}
	v.errs = append(v.errs, diag.Collect(errs...)...)
	return docs, len(errs) == 0
}

// yamlFile vets a reference to a YAML file (a resource, a patch, a CRD,
// replacements) and returns its documents.
func (v *vetter) yamlFile(dir, ref string, pl place) []*yamldoc.Document {
	p, ok := v.local(dir, ref, pl)
	if !ok {
		return nil
	}
	data, ok := v.read(p, ref, pl)
	if !ok {
		return nil
	}
	docs, _ := v.parse(p, data)
	return docs
}

// plainFile vets a reference to a file read as bytes (a generator's
// files and env files).
func (v *vetter) plainFile(dir, ref string, pl place) {
	if p, ok := v.local(dir, ref, pl); ok {
		v.read(p, ref, pl)
	}
}

// kustomization vets the kustomization in dir, reached from pl (the zero
// place for the build's own), and returns its object estimate.
func (v *vetter) kustomization(dir string, from place) int64 {
	if n, ok := v.memo[dir]; ok {
		return n
	}
	if v.active[dir] {
		return 0 // a cycle: kustomize refuses it, naming both folders
	}
	v.active[dir] = true
	defer delete(v.active, dir)

	var names []string
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		p := path.Join(dir, n)
		_, err := fs.Stat(v.fsys, p)
		switch {
		case err == nil:
			names = append(names, p)
		case !errors.Is(err, fs.ErrNotExist):
			v.errs = append(v.errs, &diag.Error{File: p, Msg: repofs.Message(err), Err: err})
			return 0
		}
	}
	switch {
	case len(names) == 0:
		if from.file == "" {
			v.errs = append(v.errs, &diag.Error{File: dir, Msg: "holds no kustomization"})
		} else {
			v.errs = append(v.errs, from.err("%s holds no kustomization (kustomization.yaml, kustomization.yml or Kustomization)", dir))
		}
		return 0
	case len(names) > 1:
		v.errs = append(v.errs, &diag.Error{File: names[1], Msg: fmt.Sprintf("a folder holds one kustomization file, and %s holds %s", dir, strings.Join(names, ", "))})
		return 0
	}
	kfile := names[0]
	if v.top == "" {
		v.top = kfile
	}
	v.dirs[dir] = true
	data, err := fs.ReadFile(v.fsys, kfile)
	if err != nil {
		v.errs = append(v.errs, &diag.Error{File: kfile, Msg: repofs.Message(err), Err: err})
		return 0
	}
	v.data[kfile] = data
	docs, ok := v.parse(kfile, data)
	if !ok {
		return 0
	}
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		v.errs = append(v.errs, &diag.Error{File: kfile, Line: 1, Msg: err.Error(), Err: err})
		return 0
	}
	pl := place{file: kfile}
	if len(docs) > 0 {
		pl.doc = docs[0]
	}
	// FixKustomization is what kustomize applies before building: bases
	// join resources, env joins envs, helmChartInflationGenerator joins
	// helmCharts. Remember the lengths before it, to name each entry's
	// own field.
	nResources := len(k.Resources)
	nHelm := len(k.HelmCharts)
	cmEnvs := envCounts(k.ConfigMapGenerator, func(a types.ConfigMapArgs) types.KvPairSources { return a.KvPairSources })
	secretEnvs := envCounts(k.SecretGenerator, func(a types.SecretArgs) types.KvPairSources { return a.KvPairSources })
	k.FixKustomization()

	var objects int64
	for i, r := range k.Resources {
		field := fmt.Sprintf("resources[%d]", i)
		if i >= nResources {
			field = fmt.Sprintf("bases[%d]", i-nResources)
		}
		objects = add(objects, v.resource(dir, r, pl.at(field)))
	}
	for i, c := range k.Components {
		cpl := pl.at(fmt.Sprintf("components[%d]", i))
		if p, ok := v.local(dir, c, cpl); ok {
			objects = add(objects, v.folder(p, c, cpl))
		}
	}
	for i, c := range k.Crds {
		v.yamlFile(dir, c, pl.at(fmt.Sprintf("crds[%d]", i)))
	}
	for i, c := range k.Configurations {
		v.yamlFile(dir, c, pl.at(fmt.Sprintf("configurations[%d]", i)))
	}
	if len(k.OpenAPI) > 0 {
		// kyaml keeps the schema a kustomization names in package state
		// that later builds do not reset: one app's schema (or a broken
		// one, which panics) would decide how every other app builds.
		v.errs = append(v.errs, pl.at("openapi").err("is not supported: kustomize keeps the OpenAPI schema it names for every later build in the process, so one app's kustomization would change how the others build"))
	}
	for i, p := range k.Patches {
		if p.Path != "" {
			v.yamlFile(dir, p.Path, pl.at(fmt.Sprintf("patches[%d].path", i)))
		}
	}
	//lint:ignore SA1019 deprecated, but kustomize still loads it, so it is vetted
	for i, p := range k.PatchesJson6902 {
		if p.Path != "" {
			v.yamlFile(dir, p.Path, pl.at(fmt.Sprintf("patchesJson6902[%d].path", i)))
		}
	}
	//lint:ignore SA1019 deprecated, but kustomize still loads it, so it is vetted
	for i, p := range k.PatchesStrategicMerge {
		v.strategicMerge(dir, string(p), pl.at(fmt.Sprintf("patchesStrategicMerge[%d]", i)))
	}
	for i, r := range k.Replacements {
		if r.Path != "" {
			v.yamlFile(dir, r.Path, pl.at(fmt.Sprintf("replacements[%d].path", i)))
		}
	}
	for i, g := range k.ConfigMapGenerator {
		v.kvSources(dir, g.KvPairSources, cmEnvs[i], pl.at(fmt.Sprintf("configMapGenerator[%d]", i)))
		objects = add(objects, 1)
	}
	for i, g := range k.SecretGenerator {
		v.kvSources(dir, g.KvPairSources, secretEnvs[i], pl.at(fmt.Sprintf("secretGenerator[%d]", i)))
		objects = add(objects, 1)
	}
	for i := range k.HelmCharts {
		field := fmt.Sprintf("helmCharts[%d]", i)
		if i >= nHelm {
			field = fmt.Sprintf("helmChartInflationGenerator[%d]", i-nHelm)
		}
		v.errs = append(v.errs, pl.at(field).err("Helm charts are not built: flotilla runs kustomize with Helm and exec plugins disabled (render the chart into the repository instead)"))
	}
	if k.HelmGlobals != nil && len(k.HelmCharts) == 0 {
		v.errs = append(v.errs, pl.at("helmGlobals").err("Helm charts are not built: flotilla runs kustomize with Helm and exec plugins disabled"))
	}
	objects = add(objects, v.plugins(dir, k.Generators, pl, "generators", true))
	v.plugins(dir, k.Transformers, pl, "transformers", false)
	v.plugins(dir, k.Validators, pl, "validators", false)
	v.memo[dir] = objects
	return objects
}

// envCounts is how many envs each generator lists before
// FixKustomization appends its env.
func envCounts[T any](gens []T, kv func(T) types.KvPairSources) []int {
	out := make([]int, len(gens))
	for i, g := range gens {
		out[i] = len(kv(g).EnvSources)
	}
	return out
}

// add sums estimates, saturating: a tree of bases repeated at every level
// grows exponentially, and any bound is far below the cap.
func add(a, b int64) int64 { return min(a+b, int64(1)<<60) }

// resource vets an entry of resources: a YAML file (its documents are
// objects) or a folder with a kustomization.
func (v *vetter) resource(dir, ref string, pl place) int64 {
	p, ok := v.local(dir, ref, pl)
	if !ok {
		return 0
	}
	info, err := fs.Stat(v.fsys, p)
	if err != nil {
		v.errs = append(v.errs, pl.err("%s: %s", ref, repofs.Message(err)))
		return 0
	}
	if info.IsDir() {
		return v.kustomization(p, pl)
	}
	data, ok := v.read(p, ref, pl)
	if !ok {
		return 0
	}
	docs, _ := v.parse(p, data)
	return int64(len(docs))
}

// folder vets a component: a folder with a kustomization.
func (v *vetter) folder(p, ref string, pl place) int64 {
	info, err := fs.Stat(v.fsys, p)
	if err != nil {
		v.errs = append(v.errs, pl.err("%s: %s", ref, repofs.Message(err)))
		return 0
	}
	if !info.IsDir() {
		v.errs = append(v.errs, pl.err("%s is not a folder: a component is a folder with a kustomization", ref))
		return 0
	}
	return v.kustomization(p, pl)
}

// strategicMerge vets an entry of patchesStrategicMerge (or a
// PatchStrategicMergeTransformer's paths): kustomize takes it as the patch
// itself when it parses as objects, else as a file.
func (v *vetter) strategicMerge(dir, entry string, pl place) {
	if _, errs := yamldoc.ParseBounded(pl.file, []byte(entry), v.opts.Bounds); len(errs) > 0 {
		v.errs = append(v.errs, pl.err("%s", message(errs[0])))
		return
	}
	if _, err := v.rf.SliceFromBytes([]byte(entry)); err == nil {
		return
	}
	v.yamlFile(dir, entry, pl)
}

// kvSources vets a generator's files and env files; nEnvs is how many
// envs were written (any more is the env field, appended by
// FixKustomization).
func (v *vetter) kvSources(dir string, kv types.KvPairSources, nEnvs int, pl place) {
	base := pl.field
	for j, f := range kv.FileSources {
		fpl := pl.at(fmt.Sprintf("%s.files[%d]", base, j))
		// As kustomize's generators.ParseFileSource: "key=path" or "path".
		ref := f
		if n := strings.Count(f, "="); n == 1 {
			ref = f[strings.IndexByte(f, '=')+1:]
		} else if n > 1 {
			continue // kustomize refuses it
		}
		if ref == "" {
			continue // kustomize refuses it
		}
		v.plainFile(dir, ref, fpl)
	}
	for j, e := range kv.EnvSources {
		field := fmt.Sprintf("%s.envs[%d]", base, j)
		if j >= nEnvs {
			field = base + ".env"
		}
		v.plainFile(dir, e, pl.at(field))
	}
}

// pluginConfig holds the path-valued fields of kustomize's builtin plugin
// configurations (api/internal/builtins): PatchTransformer and
// PatchJson6902Transformer path, PatchStrategicMergeTransformer paths,
// ReplacementTransformer replacements[].path, ValueAddTransformer
// targetFilePath, ConfigMapGenerator and SecretGenerator files, envs and
// env. Plugins decode their configuration with sigs.k8s.io/yaml, so
// through encoding/json, which matches keys without regard to case, as
// this does.
type pluginConfig struct {
	Path           string   `json:"path"`
	Paths          []string `json:"paths"`
	TargetFilePath string   `json:"targetFilePath"`
	Replacements   []struct {
		Path string `json:"path"`
	} `json:"replacements"`
	types.KvPairSources
}

// plugins vets the entries of generators, transformers or validators:
// each a configuration written inline, or a YAML file of them. Only
// builtin plugins run; their configurations' path fields are vetted like
// the kustomization's own. It returns the generated objects' estimate
// (one per generator configuration).
func (v *vetter) plugins(dir string, entries []string, pl place, field string, generators bool) int64 {
	var objects int64
	for i, entry := range entries {
		epl := pl.at(fmt.Sprintf("%s[%d]", field, i))
		if _, errs := yamldoc.ParseBounded(pl.file, []byte(entry), v.opts.Bounds); len(errs) > 0 {
			v.errs = append(v.errs, epl.err("%s", message(errs[0])))
			continue
		}
		// As kustomize decides: what parses as objects is inline.
		if rm, err := v.rmf.NewResMapFromBytes([]byte(entry)); err == nil {
			v.pluginConfigs(dir, rm, epl, "")
			objects = add(objects, int64(rm.Size()))
			continue
		}
		p, ok := v.local(dir, entry, epl)
		if !ok {
			continue
		}
		info, err := fs.Stat(v.fsys, p)
		if err != nil {
			v.errs = append(v.errs, epl.err("%s: %s", entry, repofs.Message(err)))
			continue
		}
		if info.IsDir() {
			v.errs = append(v.errs, epl.err("%s is a folder: list the plugin configuration files themselves, so each can be vetted", entry))
			continue
		}
		data, ok := v.read(p, entry, epl)
		if !ok {
			continue
		}
		if _, ok := v.parse(p, data); !ok {
			continue
		}
		rm, err := v.rmf.NewResMapFromBytes(data)
		if err != nil {
			continue // kustomize refuses it, with its reason
		}
		v.pluginConfigs(dir, rm, epl, entry+": ")
		objects = add(objects, int64(rm.Size()))
	}
	if !generators {
		return 0
	}
	return objects
}

// pluginConfigs vets the configurations kustomize would hand its builtin
// plugins, from the very bytes it would hand them (Resource.AsYAML).
// Paths in them are relative to the kustomization, whose loader plugins
// use.
func (v *vetter) pluginConfigs(dir string, rm resmap.ResMap, pl place, from string) {
	for _, r := range rm.Resources() {
		kind := r.GetKind()
		cpl := pl
		cpl.what = from + kind + " "
		y, err := r.AsYAML()
		if err != nil {
			v.errs = append(v.errs, cpl.err("cannot read the configuration: %v", err))
			continue
		}
		js, err := sigsyaml.YAMLToJSON(y)
		var c pluginConfig
		if err == nil {
			err = json.Unmarshal(js, &c)
		}
		if err != nil {
			v.errs = append(v.errs, cpl.err("cannot read the configuration: %v", err))
			continue
		}
		switch kind {
		case "PatchTransformer", "PatchJson6902Transformer":
			if c.Path != "" {
				v.yamlFile(dir, c.Path, withWhat(cpl, "path: "))
			}
		case "PatchStrategicMergeTransformer":
			for j, p := range c.Paths {
				v.strategicMerge(dir, p, withWhat(cpl, fmt.Sprintf("paths[%d]: ", j)))
			}
		case "ReplacementTransformer":
			for j, r := range c.Replacements {
				if r.Path != "" {
					v.yamlFile(dir, r.Path, withWhat(cpl, fmt.Sprintf("replacements[%d].path: ", j)))
				}
			}
		case "ValueAddTransformer":
			if c.TargetFilePath != "" {
				v.yamlFile(dir, c.TargetFilePath, withWhat(cpl, "targetFilePath: "))
			}
		case "ConfigMapGenerator", "SecretGenerator":
			for j, f := range c.FileSources {
				ref := f
				if strings.Count(f, "=") == 1 {
					ref = f[strings.IndexByte(f, '=')+1:]
				}
				if ref != "" && strings.Count(f, "=") <= 1 {
					v.plainFile(dir, ref, withWhat(cpl, fmt.Sprintf("files[%d]: ", j)))
				}
			}
			for j, e := range c.EnvSources {
				v.plainFile(dir, e, withWhat(cpl, fmt.Sprintf("envs[%d]: ", j)))
			}
			if c.EnvSource != "" {
				v.plainFile(dir, c.EnvSource, withWhat(cpl, "env: "))
			}
		case "HelmChartInflationGenerator":
			v.errs = append(v.errs, cpl.err("is not built: flotilla runs kustomize with Helm and exec plugins disabled"))
		}
	}
}

func withWhat(pl place, what string) place { pl.what += what; return pl }

// message is a parse error's text without its position, for an error
// placed at the field that holds the text.
func message(err error) string {
	var e *diag.Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}
