# METADATA
# title: Secrets
# description: |
#   The repository is public to everyone who can read it and every rendered
#   file is committed, so secret material never lives in it.
package flotilla.secrets

_obj := input.review.object

_non_empty(field) if {
	value := object.get(_obj, field, {})
	is_object(value)
	count(value) > 0
}

# METADATA
# title: Secret with data in the repository
# description: |
#   A Secret manifest with data or stringData puts the secret in Git history
#   forever (base64 is an encoding, not encryption), readable by everyone
#   who can clone the repository or read the rendered output. Deliver
#   secrets from an external store (External Secrets, Sealed Secrets, SOPS
#   decrypted at sync time) and keep only references here.
# related_resources:
#   - ref: https://kubernetes.io/docs/concepts/security/secrets-good-practices/
#     description: Kubernetes, good practices for Secrets
#   - ref: https://kubernetes.io/docs/concepts/configuration/secret/
#     description: Kubernetes Secrets are only base64-encoded
# custom:
#   id: SECRET-001
#   severity: error
#   remediation: Remove data/stringData and deliver the Secret from an external secret store.
#   scope: object
#   match:
#     kinds:
#       - apiGroups: ["*"]
#         kinds: [Secret]
secret_in_repo contains v if {
	_obj.kind == "Secret"
	some field in ["data", "stringData"]
	_non_empty(field)
	v := {
		"msg": sprintf("Secret %q carries %s (%d key(s)) in the repository", [input.review.name, field, count(_obj[field])]),
		"field": field,
	}
}
