# METADATA
# title: Argo CD
# description: ApplicationSets flotilla renders, or that are committed by hand.
package flotilla.argocd

_obj := input.review.object

# METADATA
# title: ApplicationSet Go template without missingkey=error
# description: |
#   With goTemplate true and no "missingkey=error" option, a template that
#   names a parameter the generator does not produce renders "<no value>"
#   silently: Applications get wrong names, paths or destinations instead of
#   failing generation.
# related_resources:
#   - ref: https://argo-cd.readthedocs.io/en/stable/operator-manual/applicationset/GoTemplate/
#     description: Argo CD ApplicationSet Go templates and goTemplateOptions
# custom:
#   id: ARGO-001
#   severity: warning
#   remediation: Add goTemplateOptions ["missingkey=error"] to the ApplicationSet spec.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [ApplicationSet]
gotemplate_missingkey contains v if {
	_obj.kind == "ApplicationSet"
	_obj.spec.goTemplate == true
	not "missingkey=error" in object.get(_obj.spec, "goTemplateOptions", [])
	v := {
		"msg": sprintf("ApplicationSet %q uses goTemplate without goTemplateOptions missingkey=error", [input.review.name]),
		"field": _field,
	}
}

_field := "spec.goTemplateOptions" if _obj.spec.goTemplateOptions

_field := "spec.goTemplate" if not _obj.spec.goTemplateOptions
