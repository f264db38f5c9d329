package flotilla.argocd_test

import data.flotilla.argocd
import data.flotilla.lib.fixtures_test as fx

_appset(spec) := {
	"apiVersion": "argoproj.io/v1alpha1",
	"kind": "ApplicationSet",
	"metadata": {"name": "apps-eu", "namespace": "argocd"},
	"spec": object.union({"generators": [{"git": {"directories": [{"path": "rendered/eu/apps/*"}]}}]}, spec),
}

test_argo001_gotemplate_without_option if {
	vs := argocd.gotemplate_missingkey with input as fx.review(_appset({"goTemplate": true}))
	{v.field | some v in vs} == {"spec.goTemplate"}
}

test_argo001_other_options_fire if {
	vs := argocd.gotemplate_missingkey with input as fx.review(_appset({"goTemplate": true, "goTemplateOptions": ["missingkey=zero"]}))
	{v.field | some v in vs} == {"spec.goTemplateOptions"}
}

test_argo001_with_option_passes if {
	count(argocd.gotemplate_missingkey) == 0 with input as fx.review(_appset({"goTemplate": true, "goTemplateOptions": ["missingkey=error"]}))
}

test_argo001_fasttemplate_ignored if {
	count(argocd.gotemplate_missingkey) == 0 with input as fx.review(_appset({}))
}
