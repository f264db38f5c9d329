# METADATA
# title: Durations and cron schedules
# description: |
#   Go duration strings (metav1.Duration, Velero TTLs) and the longest gap
#   between two runs of a cron schedule as Velero reads it (robfig/cron
#   standard parser: five fields, or @hourly, @daily, @every <duration>...).
package flotilla.lib.schedule

_duration_re := `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`

# duration_seconds(d): a Go duration ("1h0m0s", "30m", "720h") in seconds;
# undefined when d is not one.
duration_seconds(d) := time.parse_duration_ns(d) / 1000000000 if {
	is_string(d)
	regex.match(_duration_re, d)
}

duration_seconds("0") := 0

_descriptors := {
	"@yearly": 31622400,
	"@annually": 31622400,
	"@monthly": 2678400,
	"@weekly": 604800,
	"@daily": 86400,
	"@midnight": 86400,
	"@hourly": 3600,
}

# max_interval_seconds(expr): the longest time between two consecutive runs
# of the cron expression. Supported: the descriptors above, "@every <d>",
# and five-field expressions whose day-of-month and month are "*" (minute,
# hour and day-of-week may use *, */N, a-b, a-b/N, a/N and lists).
# Undefined for anything else, so callers stay silent rather than guess.
max_interval_seconds(expr) := _descriptors[trim_space(expr)]

max_interval_seconds(expr) := duration_seconds(trim_space(substring(trim_space(expr), 6, -1))) if {
	startswith(trim_space(expr), "@every ")
}

max_interval_seconds(expr) := _daily_gap(fields[0], fields[1]) * 60 if {
	fields := _fields(expr)
	fields[2] == "*"
	fields[3] == "*"
	fields[4] == "*"
}

max_interval_seconds(expr) := _weekly_gap(fields[0], fields[1], fields[4]) * 60 if {
	fields := _fields(expr)
	fields[2] == "*"
	fields[3] == "*"
	fields[4] != "*"
}

_fields(expr) := fields if {
	fields := regex.split(`\s+`, trim_space(expr))
	count(fields) == 5
}

# Longest gap, in minutes, of a schedule that runs every day.
_daily_gap(minute, hour) := cyclic_gap(sort(times), 1440) if {
	minutes := expand(minute, 0, 59)
	hours := expand(hour, 0, 23)
	times := {t | some h in hours; some m in minutes; t := (h * 60) + m}
}

# Longest gap, in minutes, of a schedule that runs on some weekdays.
_weekly_gap(minute, hour, dow) := cyclic_gap(sort(times), 10080) if {
	minutes := expand(minute, 0, 59)
	hours := expand(hour, 0, 23)
	days := {day | some d in expand(dow, 0, 7); day := d % 7}
	times := {t | some d in days; some h in hours; some m in minutes; t := (((d * 24) + h) * 60) + m}
}

# cyclic_gap(times, period): the longest gap between consecutive sorted
# times, wrapping around the period.
cyclic_gap(times, period) := max(array.concat(
	[gap | some i, t in times; i < count(times) - 1; gap := times[i + 1] - t],
	[(period - times[count(times) - 1]) + times[0]],
)) if count(times) > 0

# expand(field, lo, hi): the set of values one cron field selects.
# Undefined when a part is not understood or out of range.
expand(field, lo, hi) := values if {
	parts := split(field, ",")
	sets := [s | some p in parts; s := _part(p, lo, hi)]
	count(sets) == count(parts)
	values := {v | some s in sets; some v in s}
	count(values) > 0
	every v in values {
		v >= lo
		v <= hi
	}
}

_part("*", lo, hi) := numbers.range(lo, hi)

_part(p, lo, hi) := numbers.range_step(start, end, step) if {
	[base, step_s] := split(p, "/")
	step := _int(step_s)
	step > 0
	[start, end] := _base_range(base, lo, hi, true)
}

_part(p, lo, hi) := numbers.range(start, end) if {
	not contains(p, "/")
	p != "*"
	[start, end] := _base_range(p, lo, hi, false)
}

_base_range("*", lo, hi, _) := [lo, hi]

# A single number with a step ("5/15") runs to the end of the range.
_base_range(b, _, hi, true) := [_int(b), hi] if regex.match(`^[0-9]+$`, b)

_base_range(b, _, _, false) := [_int(b), _int(b)] if regex.match(`^[0-9]+$`, b)

_base_range(b, _, _, _) := [start, end] if {
	[s, e] := split(b, "-")
	start := _int(s)
	end := _int(e)
	start <= end
}

_int(s) := units.parse(s) if regex.match(`^[0-9]+$`, s)
