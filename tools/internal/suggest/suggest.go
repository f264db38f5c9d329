package suggest

import "fmt"

// Closest returns the candidate nearest to name by edit distance, when it
// is near enough to be a typo (fewer than 4 edits, and fewer than the
// name's length: "x" is not a typo of "y"); ties go to the earlier
// candidate. ok is false when none is.
func Closest(name string, candidates []string) (best string, ok bool) {
	bestD := min(4, len(name))
	for _, c := range candidates {
		if d := Distance(name, c); d < bestD {
			best, bestD, ok = c, d, true
		}
	}
	return best, ok
}

// DidYouMean is " (did you mean "X"?)" for the closest candidate, or "".
func DidYouMean(name string, candidates []string) string {
	if best, ok := Closest(name, candidates); ok {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// Distance is the Levenshtein distance of a and b, in bytes.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
