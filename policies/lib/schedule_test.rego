package flotilla.lib.schedule_test

import data.flotilla.lib.schedule

test_durations if {
	schedule.duration_seconds("1h0m0s") == 3600
	schedule.duration_seconds("720h") == 2592000
	schedule.duration_seconds("90m") == 5400
	schedule.duration_seconds("1.5h") == 5400
	schedule.duration_seconds("0") == 0
	not schedule.duration_seconds("1d")
	not schedule.duration_seconds(3600)
}

test_cron_intervals if {
	cases := {
		"0 */6 * * *": 21600,
		"0 * * * *": 3600,
		"*/15 * * * *": 900,
		"*/7 * * * *": 420,
		"30 2 * * *": 86400,
		"0 */5 * * *": 18000,
		"0 1,13 * * *": 43200,
		"0 8-20/4 * * *": 43200,
		"5/20 * * * *": 1200,
		"* * * * *": 60,
		"0 2 * * 0": 604800,
		"0 2 * * 7": 604800,
		"0 2 * * 1-5": 259200,
		"  0   3 * * *  ": 86400,
		"@every 4h": 14400,
		"@every 30m": 1800,
		"@hourly": 3600,
		"@daily": 86400,
		"@midnight": 86400,
		"@weekly": 604800,
	}
	every expr, seconds in cases {
		schedule.max_interval_seconds(expr) == seconds
	}
}

test_cron_unsupported if {
	every expr in ["0 0 1 * *", "0 0 * 1 *", "bad", "0 25 * * *", "61 * * * *", "0 5-1 * * *", "*/0 * * * *", "@every 1d", "0 * * *"] {
		not schedule.max_interval_seconds(expr)
	}
}
