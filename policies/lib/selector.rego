# METADATA
# title: Label selector matching
# description: |
#   Kubernetes label selectors (metav1.LabelSelector: matchLabels and
#   matchExpressions with In, NotIn, Exists, DoesNotExist) and the plain
#   map selectors of Services and nodeSelectors.
package flotilla.lib.selector

# matches(sel, labels): the LabelSelector sel selects an object with these
# labels. As metav1.LabelSelectorAsSelector: an empty selector ({})
# selects everything, null selects nothing, an unknown operator nothing.
matches(sel, labels) if {
	is_object(sel)
	every k, v in _object(object.get(sel, "matchLabels", {})) {
		labels[k] == v
	}
	every e in _array(object.get(sel, "matchExpressions", [])) {
		expression_matches(e, labels)
	}
}

# expression_matches(e, labels): one matchExpressions requirement holds.
expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in e.values
}

expression_matches(e, labels) if {
	e.operator == "NotIn"
	not _value_in(labels, e.key, e.values)
}

expression_matches(e, labels) if {
	e.operator == "Exists"
	e.key in object.keys(labels)
}

expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not e.key in object.keys(labels)
}

_value_in(labels, key, values) if labels[key] in values

# map_matches(sel, labels): a non-empty map selector (Service spec.selector)
# selects an object with these labels.
map_matches(sel, labels) if {
	is_object(sel)
	count(sel) > 0
	every k, v in sel {
		labels[k] == v
	}
}

_object(x) := x if is_object(x)

_object(x) := {} if not is_object(x)

_array(x) := x if is_array(x)

_array(x) := [] if not is_array(x)
