package edxml

import "github.com/beevik/etree"

// node is an element of the header or body tree. The parser builds it with
// beevik/etree from the tokens of the header only (never from attachment
// payloads), declaring each element's namespace URI as its default
// namespace, so that NamespaceURI() gives the URI whatever prefix the file
// used; the header reader matches by URI and local name (Tag).
type node = etree.Element
