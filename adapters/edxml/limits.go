package edxml

// Limits of one package, far beyond any real package (edxml.md §7): they
// keep the parse linear and its memory bounded whatever the input. A package
// beyond a hard limit is rejected, naming the element and the byte offset;
// a free-text field beyond its soft limit is kept truncated, with a warning.
// docs/goi-tin-edxml.md describes them for administrators.
const (
	// MaxDepth is the deepest element nesting accepted (the root is 1).
	MaxDepth = 256
	// MaxAttrs is the most attributes, namespace declarations included,
	// one element may carry.
	MaxAttrs = 1024
	// MaxTokenBytes is the longest single piece of markup or text outside
	// an attachment payload (a tag, a run of text, a comment, a CDATA
	// section) and the longest text of one header element.
	MaxTokenBytes = 4 << 20
	// MaxHeaderBytes bounds the text and attribute values kept of
	// edXMLHeader and edXMLBody together.
	MaxHeaderBytes = 16 << 20
	// MaxHeaderElements bounds the elements of edXMLHeader and edXMLBody
	// together.
	MaxHeaderElements = 100_000
	// MaxAttachments is the most attachments one package may carry.
	MaxAttachments = 1000
	// MaxTextChars is the soft limit of a free-text field (Subject,
	// OrganName, Place, TypeName, BussinessDocReason, a status
	// Description): longer text is kept cut to this many characters, with
	// a warning.
	MaxTextChars = 2000
	// MaxIdentChars is the hard limit of an identifying field (CodeNumber,
	// CodeNotation, DocumentId and the fields of ResponseFor).
	MaxIdentChars = 500
)
