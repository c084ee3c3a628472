package edxml

// node is an element of the header or body tree. It replaces the etree
// element the parser used to build, with the same reading: Tag is the local
// name, the namespace is the one the element resolved to (or an ancestor's
// when the element did not change it), Text is all the element's own
// non-blank character data. Nodes live in a per-parser arena reused across
// parses; nothing of a node escapes Parse except the strings Text returns.
type node struct {
	Tag    string
	uri    string
	parent *node
	first  *node // first child
	last   *node // last child
	next   *node // next sibling
	tree   *tree
	text   [2]int32 // own text: tree.text[text[0]:text[1]]
	attrs  []nodeAttr
}

// nodeAttr is a non-namespace attribute kept by local name (the last of a
// name wins).
type nodeAttr struct{ key, value string }

// tree is the arena of the nodes of one parse.
type tree struct {
	chunks [][]node
	ci, ni int
	text   []byte
}

const chunkNodes = 64

func (t *tree) reset() {
	t.ci, t.ni = 0, 0
	t.text = t.text[:0]
}

// newNode returns a fresh node named tag under parent (nil for a root).
func (t *tree) newNode(tag string, parent *node) *node {
	if t.ci == len(t.chunks) {
		t.chunks = append(t.chunks, make([]node, chunkNodes))
	}
	n := &t.chunks[t.ci][t.ni]
	if t.ni++; t.ni == chunkNodes {
		t.ci, t.ni = t.ci+1, 0
	}
	attrs := n.attrs[:0]
	*n = node{Tag: tag, parent: parent, tree: t, attrs: attrs}
	if parent != nil {
		n.uri = parent.uri
		if parent.last == nil {
			parent.first = n
		} else {
			parent.last.next = n
		}
		parent.last = n
	}
	return n
}

// appendText adds character data to n's own text.
func (t *tree) appendText(n *node, s []byte) {
	if n.text[1] != int32(len(t.text)) || n.text[0] == n.text[1] {
		// Not the last text written: move n's text to the end first.
		start := len(t.text)
		t.text = append(t.text, t.text[n.text[0]:n.text[1]]...)
		n.text[0] = int32(start)
	}
	t.text = append(t.text, s...)
	n.text[1] = int32(len(t.text))
}

// setAttr records an attribute; an attribute named xmlns (whatever its
// prefix) sets the namespace the element and its children read.
func (n *node) setAttr(key, value string) {
	if key == "xmlns" {
		n.uri = value
	}
	for i := range n.attrs {
		if n.attrs[i].key == key {
			n.attrs[i].value = value
			return
		}
	}
	n.attrs = append(n.attrs, nodeAttr{key, value})
}

// Parent is the enclosing element, nil for the header or body root.
func (n *node) Parent() *node { return n.parent }

// NamespaceURI is the namespace of the element.
func (n *node) NamespaceURI() string { return n.uri }

// Text is the element's own character data (blank runs dropped).
func (n *node) Text() string {
	if n.text[0] == n.text[1] {
		return ""
	}
	return string(n.tree.text[n.text[0]:n.text[1]])
}

// ChildElements lists the child elements.
func (n *node) ChildElements() []*node {
	var out []*node
	for c := n.first; c != nil; c = c.next {
		out = append(out, c)
	}
	return out
}

// SelectAttrValue returns the attribute's value, or dflt.
func (n *node) SelectAttrValue(key, dflt string) string {
	for _, a := range n.attrs {
		if a.key == key {
			return a.value
		}
	}
	return dflt
}
