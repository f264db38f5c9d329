// Package kustjail runs kustomize over a control repository without
// letting a kustomization reach anything else: no network, no file outside
// the repository, no plugin.
//
// Kustomize's loader fetches any http(s) resource itself and clones any
// reference that parses as a Git URL by exec'ing git; neither can be
// switched off from outside (sigs.k8s.io/kustomize/api/internal/loader).
// So the jail is built from two walls:
//
//   - Vetting. Every kustomization the build would read — the app's, and
//     recursively its local resources, bases and components — is decoded
//     with kustomize's own types.Kustomization (and FixKustomization), and
//     every path-valued field is checked: resources, bases, components,
//     crds, configurations, openapi.path, patches[].path,
//     patchesJson6902[].path, patchesStrategicMerge, replacements[].path,
//     configMapGenerator and secretGenerator files, envs and env, and the
//     path fields of the builtin plugin configurations listed under
//     generators, transformers and validators. A remote reference (any
//     form kustomize would fetch or clone), an absolute path or one that
//     leaves the repository is an error naming file, line and field;
//     Helm charts are refused (flotilla runs kustomize with Helm and exec
//     plugins disabled).
//   - A file system holding nothing else. Kustomize runs on an in-memory
//     file system into which exactly the vetted files are copied, each
//     read through the repository jail (package repofs) and within the
//     input bounds, so even a reference vetting misjudged finds nothing.
//
// Vetting also estimates the objects a build yields (references repeated
// through bases count each time, as kustomize accumulates them) and
// refuses a build over the objects bound before kustomize runs.
package kustjail
