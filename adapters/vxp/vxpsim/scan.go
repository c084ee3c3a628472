package vxpsim

import (
	"encoding/xml"
	"os"
	"strings"
)

type header struct {
	msgType string
	from    string
	to      []string
}

// scanHeader reads a fixture's From/To OrganIds and whether it is a status
// package, tokenizing only up to the end of edXMLHeader (attachments are
// never read). A file that cannot be read is listed as an edoc from "".
func scanHeader(path string) header {
	h := header{msgType: "edoc"}
	f, err := os.Open(path)
	if err != nil {
		return h
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	dec.Strict = false
	var stack []string
	for {
		tok, err := dec.Token()
		if err != nil {
			return h
		}
		switch t := tok.(type) {
		case xml.StartElement:
			stack = append(stack, t.Name.Local)
			if t.Name.Local == "StatusCode" {
				h.msgType = "status"
			}
			if t.Name.Local == "AttachmentEncoded" {
				return h
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if t.Name.Local == "edXMLHeader" {
				return h
			}
		case xml.CharData:
			n := len(stack)
			if n >= 2 && stack[n-1] == "OrganId" && stack[n-2] == "From" && h.from == "" {
				h.from = strings.TrimSpace(string(t))
			}
			if n >= 2 && stack[n-1] == "OrganId" && stack[n-2] == "To" {
				h.to = append(h.to, strings.TrimSpace(string(t)))
			}
		}
	}
}
