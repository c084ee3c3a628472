package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"chiso/adapters/dvc"
	"chiso/mapping/dossiers"
)

// inspectDvc implements `chiso inspect dvc FILE...`: each file is a national
// envelope, a bare array or one dossier record; one JSON line per dossier
// goes to stdout (contracts.md §5), each invalid record to stderr as
// `FILE: MaHoSo X: FIELD: message`. Exit status 1 when anything was invalid.
func inspectDvc(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: chiso inspect dvc FILE...")
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	ok := true
	for _, path := range args {
		f, err := os.Open(path)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			ok = false
			continue
		}
		_, err = dvc.DecodePayload(f, func(i int, raw json.RawMessage) error {
			res, err := dossiers.Map(raw, dossiers.Options{Source: "inspect", SourceKey: fmt.Sprintf("%s#%d", path, i)})
			if err != nil {
				fmt.Fprintf(stderr, "%s: record %d: %v\n", path, i, err)
				ok = false
				return nil
			}
			s := dossiers.Summarize(res)
			s.File = path
			return enc.Encode(s)
		})
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", path, err)
			ok = false
		}
	}
	if ok {
		return 0
	}
	return 1
}
