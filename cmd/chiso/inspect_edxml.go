package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"chiso/adapters/edxml"
	"chiso/mapping/documents"
)

// inspectEdxml implements `chiso inspect edxml FILE...`: one JSON line per
// valid package on stdout (contracts.md §5), and for each invalid one
// `FILE: ELEMENT/PATH: message` on stderr. Exit status 1 when any file was
// invalid. Classification uses the default document-type rules.
func inspectEdxml(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: chiso inspect edxml FILE...")
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	rules := documents.DefaultRules()
	status := 0
	for _, path := range args {
		pkg, err := edxml.ParseFile(context.Background(), path, edxml.Options{})
		if err != nil {
			fmt.Fprintln(stderr, err)
			status = 1
			continue
		}
		if err := enc.Encode(documents.Inspect(path, pkg, rules)); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			return 1
		}
	}
	return status
}
