// Package textnorm folds Vietnamese text for case- and diacritic-insensitive
// matching (column titles, type names, agency names). It is used only for
// matching keys, never to rewrite stored values.
package textnorm

import (
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// A transform chain is stateful: pool them instead of building one per call.
var chains = sync.Pool{New: func() any {
	return transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
}}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Key lower-cases s, removes diacritics (đ → d), and collapses runs of
// spaces and punctuation to one space.
func Key(s string) string {
	folded := s
	if !isASCII(s) {
		t := chains.Get().(transform.Transformer)
		t.Reset()
		if f, _, err := transform.String(t, s); err == nil {
			folded = f
		}
		chains.Put(t)
	}
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(folded) {
		switch {
		case r == 'đ':
			r = 'd'
		case r == 'Đ':
			r = 'd'
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		} else {
			space = true
		}
	}
	return b.String()
}
