package flotilla.lib.selector_test

import data.flotilla.lib.selector

_labels := {"app": "api", "tier": "prod"}

test_match_labels if {
	selector.matches({"matchLabels": {"app": "api"}}, _labels)
	not selector.matches({"matchLabels": {"app": "web"}}, _labels)
}

test_empty_and_null if {
	selector.matches({}, _labels)
	not selector.matches(null, _labels)
}

test_expressions if {
	selector.matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]}, _labels)
	not selector.matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}, _labels)
	selector.matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, _labels)
	selector.matches({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, _labels)
	not selector.matches({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["prod"]}]}, _labels)
	selector.matches({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, _labels)
	not selector.matches({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, _labels)
	selector.matches({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, _labels)
	not selector.matches({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, _labels)
	not selector.matches({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, _labels)
}

test_both_parts_must_hold if {
	sel := {"matchLabels": {"app": "api"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["dev"]}]}
	not selector.matches(sel, _labels)
}

test_map_selector if {
	selector.map_matches({"app": "api"}, _labels)
	not selector.map_matches({"app": "api", "tier": "dev"}, _labels)
	not selector.map_matches({}, _labels)
	not selector.map_matches(null, _labels)
}

test_null_parts if {
	selector.matches({"matchLabels": null, "matchExpressions": null}, _labels)
}
