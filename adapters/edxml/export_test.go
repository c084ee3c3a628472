package edxml

import (
	"os"
	"path/filepath"
)

// realSamplesDir finds shared/specs/real-samples, which lives beside the
// repository clone (from a worktree too: every parent folder is tried); ""
// when there is none.
func realSamplesDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "specs", "real-samples")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// RealSamplesDir is realSamplesDir for the external tests.
var RealSamplesDir = realSamplesDir
