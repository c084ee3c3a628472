package filesource

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Glob is a compiled include/exclude pattern on a path relative to the
// root; one without "/" matches the file name.
type Glob struct {
	re       *regexp.Regexp
	nameOnly bool
}

func matchAny(gs []Glob, rel string) bool {
	base := path.Base(rel)
	for _, g := range gs {
		if g.re.MatchString(rel) || (g.nameOnly && g.re.MatchString(base)) {
			return true
		}
	}
	return false
}

// CompileGlobs turns globs into anchored patterns: "**/" any folders, "**"
// anything, "*" anything but "/", "?" one character but "/", [..] classes.
func CompileGlobs(globs []string) ([]Glob, error) {
	var out []Glob
	for _, g := range globs {
		var b strings.Builder
		b.WriteString("^")
		for i := 0; i < len(g); i++ {
			switch ch := g[i]; {
			case strings.HasPrefix(g[i:], "**/"):
				b.WriteString("(?:.*/)?")
				i += 2
			case strings.HasPrefix(g[i:], "**"):
				b.WriteString(".*")
				i++
			case ch == '*':
				b.WriteString("[^/]*")
			case ch == '?':
				b.WriteString("[^/]")
			case ch == '[':
				j := strings.IndexByte(g[i:], ']')
				if j < 0 {
					return nil, fmt.Errorf("glob %q: unclosed [", g)
				}
				b.WriteString(g[i : i+j+1])
				i += j
			default:
				b.WriteString(regexp.QuoteMeta(string(ch)))
			}
		}
		b.WriteString("$")
		re, err := regexp.Compile(b.String())
		if err != nil {
			return nil, fmt.Errorf("glob %q: %v", g, err)
		}
		out = append(out, Glob{re: re, nameOnly: !strings.Contains(g, "/")})
	}
	return out, nil
}

// ParseSize reads "256MiB", "300MB", "1GiB", "1048576"; an empty string
// is def.
func ParseSize(s string, def int64) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 256MiB, 300MB, 1048576)", s)
	}
	return n * mult, nil
}
