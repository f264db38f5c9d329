package flotilla.secrets_test

import data.flotilla.lib.fixtures_test as fx
import data.flotilla.secrets

_secret(extra) := object.union({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque"}, extra)

test_secret001_data_fires if {
	vs := secrets.secret_in_repo with input as fx.review(_secret({"data": {"password": "aHVudGVyMg=="}}))
	{v.field | some v in vs} == {"data"}
}

test_secret001_string_data_fires if {
	vs := secrets.secret_in_repo with input as fx.review(_secret({"stringData": {"password": "hunter2"}, "data": {}}))
	{v.field | some v in vs} == {"stringData"}
}

test_secret001_empty_secret_passes if {
	count(secrets.secret_in_repo) == 0 with input as fx.review(_secret({"data": {}}))
	count(secrets.secret_in_repo) == 0 with input as fx.review(_secret({}))
	count(secrets.secret_in_repo) == 0 with input as fx.review(_secret({"data": null}))
}

test_secret001_configmap_ignored if {
	cm := {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "db", "namespace": "shop"}, "data": {"password": "x"}}
	count(secrets.secret_in_repo) == 0 with input as fx.review(cm)
}
