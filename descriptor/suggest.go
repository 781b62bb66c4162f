package descriptor

import (
	"strconv"
	"strings"
)

// suggest returns the candidate closest to word, when one is close enough
// to be what the author meant: the same but for case, or at most two edits
// away (one for words of two letters or less). It returns "" otherwise.
func suggest(word string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if strings.EqualFold(word, c) {
			return c
		}
		if d := editDistance(strings.ToLower(word), strings.ToLower(c)); d < bestDist && d < len(word) {
			best, bestDist = c, d
		}
	}
	return best
}

// didYouMean is suggest as the end of a message: "; did you mean "x"?" or
// "; expected one of: a, b, c" when nothing is close.
func didYouMean(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return "; did you mean " + strconv.Quote(s) + "?"
	}
	return "; expected one of: " + strings.Join(candidates, ", ")
}

// hint is suggest as the end of a message, "; did you mean "x"?", or "".
func hint(word string, candidates []string) string {
	if s := suggest(word, candidates); s != "" {
		return "; did you mean " + strconv.Quote(s) + "?"
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
