package edxml

import "errors"

// ErrorPath is the element path of the first *Error in err's chain (e.g.
// "edXML/edXMLEnvelope/edXMLHeader/MessageHeader/Subject"): the field a
// reject of the package names. It is "" when err holds no *Error or the
// problem concerns the file as a whole.
func ErrorPath(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Path
	}
	return ""
}
