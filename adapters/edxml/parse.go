package edxml

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Roots of older, unsupported edXML generations.
var unsupportedNS = []string{
	"http://www.e-doc.vn/Schema/",
	"http://schemas.xmlsoap.org/soap/envelope/",
	"http://www.go.vn/eDoc",
}

const nsXML = "http://www.w3.org/XML/1998/namespace"

// maxFieldText caps what is kept of one attachment field (name, type…).
const maxFieldText = 4096

// maxNameBytes caps an element name (kept on the stack, deep as it may be).
const maxNameBytes = 1024

var errTooLarge = errors.New("package too large")

// errInterrupted is the read error once the parse's context has ended.
var errInterrupted = errors.New("parse interrupted")

// errNUL is the read error at a NUL byte, which XML allows nowhere.
var errNUL = errors.New("NUL byte")

// errTokenTooLarge is the read error of a token longer than MaxTokenBytes.
var errTokenTooLarge = errors.New("token too large")

// ErrTimeBudget is the cause of a parse stopped because the file used up
// its share of the run's time (see FileContext).
var ErrTimeBudget = errors.New("the file used up its share of the run's time")

// budgetShare is the part of a run's remaining time one file may take.
const budgetShare = 4

// FileContext derives the context one file is parsed under from the run's
// context. When the run has a deadline, the file gets a quarter of the time
// left to the run, so that a file that cannot be parsed in time is rejected
// (Parse returns an *Error wrapping ErrTimeBudget) while the run still has
// the time to record the reject, checkpoint the file and go on. Without a
// deadline the file has the run's context as is.
func FileContext(ctx context.Context) (context.Context, context.CancelFunc) {
	dl, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, time.Until(dl)/budgetShare, ErrTimeBudget)
}

// ParseFile parses the package at path. The size limit is checked from the
// file's metadata before anything is read.
func ParseFile(ctx context.Context, path string, opts Options) (*Package, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{File: path, Msg: "cannot open: " + err.Error(), Err: err}
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > opts.maxSize() {
		return nil, &Error{File: path, Msg: fmt.Sprintf("file is %d bytes, larger than the limit of %d bytes (max_file_size)", st.Size(), opts.maxSize()), Err: errTooLarge}
	}
	return Parse(ctx, f, path, opts)
}

// Parse reads one package from r; name is used in errors and warnings. The
// reader is consumed as a stream: memory does not grow with attachment size.
//
// A bad package is an *Error. When ctx ends during the parse, Parse stops
// within a read buffer's worth of input: if ctx was a FileContext whose
// share of the run's time ran out, the result is an *Error wrapping
// ErrTimeBudget (a verdict on the file); otherwise it is an error wrapping
// ctx.Err() that says nothing about the file.
func Parse(ctx context.Context, r io.Reader, name string, opts Options) (*Package, error) {
	p := newParser(ctx, r, name, opts)
	defer p.release()
	if err := p.run(); err != nil {
		return nil, err
	}
	pkg := &Package{}
	if err := p.extract(pkg); err != nil {
		return nil, err
	}
	return pkg, nil
}

// countingReader is the byte source shared by the XML decoder and the
// payload streamer: a buffer over the input that counts bytes against the
// limit and remembers the two last bytes read (to tell <X/> from <X>).
type countingReader struct {
	ctx        context.Context // checked before each read
	src        io.Reader
	buf        []byte
	r, w       int
	err        error // sticky error of src (or errNUL, errInterrupted)
	n, limit   int64 // bytes consumed (the BOM included), limit
	stop       int64 // where ReadByte stops: limit, or the end of the token allowed to the decoder
	nulAt      int64 // offset of the NUL byte behind errNUL
	prev, last byte
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readBufSize is the read buffer: also the longest token the fast path
// reads (longer ones go through encoding/xml).
const readBufSize = 32 << 10

func (c *countingReader) fill() {
	if c.err == nil && c.ctx.Err() != nil {
		c.err = errInterrupted
	}
	if c.r > 0 {
		c.w = copy(c.buf, c.buf[c.r:c.w])
		c.r = 0
	}
	for i := 0; i < 100 && c.w < len(c.buf) && c.err == nil; i++ {
		n, err := c.src.Read(c.buf[c.w:])
		// XML allows a NUL byte nowhere: the input ends there, so that
		// neither path buffers what follows.
		if k := bytes.IndexByte(c.buf[c.w:c.w+n], 0); k >= 0 {
			c.nulAt = c.n + int64(c.w+k-c.r)
			c.w += k
			c.err = errNUL
			return
		}
		c.w += n
		if err != nil {
			c.err = err
		}
		if n > 0 {
			return
		}
	}
	if c.err == nil && c.w == c.r {
		c.err = io.ErrNoProgress
	}
}

// ReadByte serves the XML decoder.
func (c *countingReader) ReadByte() (byte, error) {
	if c.r < c.w && c.n < c.stop {
		b := c.buf[c.r]
		c.r++
		c.n++
		c.prev, c.last = c.last, b
		return b, nil
	}
	return c.slowByte()
}

func (c *countingReader) slowByte() (byte, error) {
	if c.r == c.w {
		if c.err != nil {
			return 0, c.err
		}
		c.fill()
		if c.r == c.w {
			return 0, c.err
		}
	}
	if c.n >= c.stop {
		if c.n >= c.limit {
			return 0, errTooLarge
		}
		return 0, errTokenTooLarge
	}
	b := c.buf[c.r]
	c.r++
	c.n++
	c.prev, c.last = c.last, b
	return b, nil
}

// Read makes countingReader an io.Reader (the decoder uses ReadByte).
func (c *countingReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		b, err := c.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		p[n] = b
		n++
	}
	return n, nil
}

type frame struct {
	prefix, local, uri string
	qname              string // prefix:local as written
	nsMark             int    // len(p.bindings) before this element's declarations
	textMark           int    // len(p.text) before this element's text (header tree)
}

// binding is a namespace declaration in scope; prev is the index in
// p.bindings of the declaration of the same prefix it hides (-1 if none).
type binding struct {
	prefix, uri string
	prev        int
}

// attachState collects one attachment while it streams by.
type attachState struct {
	field    string // local name of the field being read, "" when none
	text     strings.Builder
	att      Attachment
	early    bool // edXMLEnvelope/edXMLAttachments form
	payloads int
	path     string
	b64Err   error  // base64 problem of the payload, reported with the name
	b64Path  string // where it was
}

type parser struct {
	name string
	opts Options
	cr   *countingReader
	dec  *xml.Decoder // created on the first token the fast path leaves to it

	tok           token
	decOwes       bool // the decoder holds part of the next token
	pendingEnd    bool // the end half of a fast-path <X/> is due
	pendingQName  string
	pendingPrefix string
	pendingLocal  string
	lines         int // newlines read outside the decoder
	scanNL        int // newlines of the token being scanned
	scratch       []byte
	names         map[string]string // namespace URIs
	qnames        map[string]qname  // element and attribute names

	stack    []frame
	bindings []binding
	inScope  map[string]int // prefix → index in bindings of its innermost declaration
	rootDone bool
	tokOff   int64 // byte offset where the current token starts
	declAt   int64 // where an XML declaration may stand: 0, or after the BOM
	seen     map[qname]struct{}

	envelopes int
	header    *node
	body      *node
	treeCur   *node // element being built, nil outside header/body
	treeDepth int   // stack depth of the tree root
	text      []byte
	treeElems int   // elements of header and body
	treeBytes int64 // text and attribute values kept in header and body

	attachDepth int // stack depth of AttachmentEncoded/edXMLAttachments, 0 outside
	att         *attachState
	attachments []Attachment
	earlyForm   bool
	attachErr   *Error // first attachment problem (reported after the header's)

	b64 b64Counter
}

// parserPool keeps parsers (read buffer, name table, node arena, base64
// buffers) between parses.
var parserPool = sync.Pool{New: func() any {
	return &parser{cr: &countingReader{buf: make([]byte, readBufSize)}, names: map[string]string{}, qnames: map[string]qname{},
		inScope: map[string]int{}, seen: map[qname]struct{}{}}
}}

// maxPooledText is the largest scratch buffer kept for the next parse,
// maxPooledSlice the most elements of a slice kept.
const (
	maxPooledText  = 1 << 20
	maxPooledSlice = 1024
)

func newParser(ctx context.Context, r io.Reader, name string, opts Options) *parser {
	p := parserPool.Get().(*parser)
	cr := p.cr
	*cr = countingReader{ctx: ctx, src: r, buf: cr.buf, limit: opts.maxSize(), stop: opts.maxSize()}
	// A UTF-8 byte order mark is not XML: skip it.
	for cr.w < 3 && cr.err == nil {
		cr.fill()
	}
	p.declAt = 0
	if bytes.HasPrefix(cr.buf[:cr.w], utf8BOM) {
		cr.r, cr.n = 3, 3
		p.declAt = 3
	}
	p.name, p.opts = name, opts
	return p
}

// release resets the parser and returns it to the pool.
func (p *parser) release() {
	p.cr.src, p.cr.ctx = nil, nil
	p.dec = nil
	p.decOwes, p.pendingEnd, p.lines, p.scanNL = false, false, 0, 0
	p.tok.text, p.tok.attrs = nil, p.tok.attrs[:0]
	p.stack, p.bindings, p.rootDone = p.stack[:0], p.bindings[:0], false
	if cap(p.bindings) > maxPooledSlice {
		p.bindings = nil // do not keep a namespace flood
	}
	if cap(p.tok.attrs) > maxPooledSlice {
		p.tok.attrs = nil // nor an attribute flood
	}
	if len(p.inScope) > maxInterned {
		p.inScope = map[string]int{} // do not keep a flood's table
	} else {
		clear(p.inScope)
	}
	p.envelopes, p.header, p.body, p.treeCur, p.treeDepth = 0, nil, nil, nil, 0
	p.text, p.treeElems, p.treeBytes = p.text[:0], 0, 0
	if cap(p.text) > maxPooledText {
		p.text = nil
	}
	p.attachDepth, p.att, p.attachments, p.earlyForm, p.attachErr = 0, nil, nil, false, nil
	p.b64.reset()
	if cap(p.scratch) > maxPooledText {
		p.scratch = nil
	}
	parserPool.Put(p)
}

// path is the element path for errors; a very deep one is shortened in
// the middle.
func (p *parser) path() string {
	var b strings.Builder
	n := len(p.stack)
	for i, f := range p.stack {
		switch {
		case n > 16 && i == 8:
			fmt.Fprintf(&b, "/…(%d more)…", n-12)
			continue
		case n > 16 && i > 8 && i < n-4:
			continue
		case i > 0:
			b.WriteByte('/')
		}
		b.WriteString(f.local)
	}
	return b.String()
}

// pathWith is the path of a child of the current element.
func (p *parser) pathWith(local string) string {
	if len(p.stack) == 0 {
		return local
	}
	return p.path() + "/" + local
}

func (p *parser) errf(path, format string, args ...any) *Error {
	return &Error{File: p.name, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// lookup resolves a prefix in constant time, whatever the declarations in
// scope.
func (p *parser) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	if i, ok := p.inScope[prefix]; ok {
		return p.bindings[i].uri, true
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// declare brings a namespace declaration into scope.
func (p *parser) declare(prefix, uri string) {
	prev, ok := p.inScope[prefix]
	if !ok {
		prev = -1
	}
	p.inScope[prefix] = len(p.bindings)
	p.bindings = append(p.bindings, binding{prefix, uri, prev})
}

// undeclare ends the scope of the declarations from mark on.
func (p *parser) undeclare(mark int) {
	for i := len(p.bindings) - 1; i >= mark; i-- {
		b := p.bindings[i]
		if b.prev < 0 {
			delete(p.inScope, b.prefix)
		} else {
			p.inScope[b.prefix] = b.prev
		}
	}
	p.bindings = p.bindings[:mark]
}

// ctxCheckEvery is how many tokens go by between two looks at the context
// (which is also looked at before each read of the input).
const ctxCheckEvery = 4096

// run tokenizes the whole input.
func (p *parser) run() error {
	if err := p.checkEncoding(); err != nil {
		return err
	}
	t := &p.tok
	for n := 1; ; n++ {
		if n%ctxCheckEvery == 0 && p.cr.ctx.Err() != nil {
			return p.interrupted()
		}
		err := p.next(t)
		if err == io.EOF {
			break
		}
		if err != nil {
			return p.syntaxError(err)
		}
		switch t.kind {
		case tokStart:
			if err := p.start(t); err != nil {
				return err
			}
		case tokEnd:
			if err := p.end(t); err != nil {
				return err
			}
		case tokText:
			if err := p.charData(t.text); err != nil {
				return err
			}
		case tokDirective:
			return p.errf(p.path(), "DOCTYPE or entity declarations are not accepted (<!%s>)", firstWord(t.text))
		case tokDecl:
			if p.tokOff != p.declAt {
				return p.errf(p.path(), "not well-formed XML: the XML declaration <?xml …?> is at byte offset %d; it may only stand at the very start of the file", p.tokOff)
			}
		}
		if p.att != nil && isPayload(p.att.field) && (t.kind == tokOther || t.kind == tokText) && !p.decOwes {
			// A comment or processing instruction inside a payload: the
			// payload's text streams on.
			if err := p.streamPayload(); err != nil {
				return err
			}
		}
	}
	if len(p.stack) > 0 {
		return p.errf(p.path(), "truncated XML: the file ends inside <%s>", p.stack[len(p.stack)-1].local)
	}
	if !p.rootDone {
		return p.errf("", "no XML root element (empty or not XML)")
	}
	return nil
}

// checkEncoding refuses UTF-16 up front (encoding/xml reads UTF-8 only, and
// its NUL bytes would hide the reason).
func (p *parser) checkEncoding() error {
	c := p.cr
	for c.w-c.r < 2 && c.err == nil {
		c.fill()
	}
	b := c.buf[c.r:c.w]
	if len(b) >= 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return p.errf("", "the file is encoded in UTF-16 (byte order mark % X): edXML packages are read in UTF-8 only", b[:2])
	}
	return nil
}

func firstWord(b []byte) string {
	s := string(b)
	if i := strings.IndexAny(s, " \t\r\n["); i > 0 {
		s = s[:i]
	}
	return s
}

// interrupted is the error of a parse whose context ended: a verdict on the
// file when its time budget ran out, else the context's error.
func (p *parser) interrupted() error {
	ctx := p.cr.ctx
	if errors.Is(context.Cause(ctx), ErrTimeBudget) {
		return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("not parsed within its share of the run's time (stopped at byte offset %d): a file this slow to read is rejected", p.cr.n), Err: ErrTimeBudget}
	}
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != nil && cause != err {
		return fmt.Errorf("%s: parse interrupted at byte offset %d: %w (%w)", p.name, p.cr.n, err, cause)
	}
	return fmt.Errorf("%s: parse interrupted at byte offset %d: %w", p.name, p.cr.n, err)
}

func (p *parser) syntaxError(err error) error {
	switch {
	case errors.Is(err, errInterrupted):
		return p.interrupted()
	case errors.Is(err, errTooLarge):
		return &Error{File: p.name, Msg: fmt.Sprintf("larger than the limit of %d bytes (max_file_size)", p.opts.maxSize()), Err: err}
	case errors.Is(err, errNUL):
		return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("not well-formed XML: a NUL byte at byte offset %d (line %d); XML allows it nowhere", p.cr.nulAt, p.line()), Err: err}
	case errors.Is(err, errTokenTooLarge):
		return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("a single tag, text, comment or CDATA section from byte offset %d is longer than %d bytes (MaxTokenBytes): far beyond any real package", p.tokOff, MaxTokenBytes), Err: err}
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "XML syntax error on ")
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		// The decoder counts only the lines it read itself.
		se = &xml.SyntaxError{Msg: se.Msg, Line: se.Line + p.lines}
		err, msg = se, se.Error()
		msg = strings.TrimPrefix(msg, "XML syntax error on ")
		if se.Msg == "unexpected EOF" {
			return &Error{File: p.name, Path: p.path(), Msg: "truncated XML: unexpected end of file", Err: err}
		}
		if strings.Contains(se.Msg, "invalid UTF-8") {
			return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("invalid UTF-8 (line %d, in the text or tag from byte offset %d)", se.Line, p.tokOff), Err: err}
		}
	}
	return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("not well-formed XML: %s (before byte offset %d)", strings.ToValidUTF8(msg, "\uFFFD"), p.cr.n), Err: err}
}

func (p *parser) start(t *token) error {
	if p.rootDone {
		return p.errf(t.local, "not well-formed XML: a second root element <%s> at byte offset %d", qnameOf(t.prefix, t.local), p.tokOff)
	}
	if len(t.qname) > maxNameBytes {
		return p.errf(p.path(), "an element name of %d bytes at byte offset %d, longer than %d: far beyond any real package", len(t.qname), p.tokOff, maxNameBytes)
	}
	if len(p.stack) >= MaxDepth {
		return p.errf(p.path(), "elements nested deeper than %d levels (MaxDepth) at byte offset %d: far beyond any real package", MaxDepth, p.tokOff)
	}
	if err := p.checkAttrs(t); err != nil {
		return err
	}
	mark := len(p.bindings)
	for _, a := range t.attrs {
		switch {
		case a.prefix == "xmlns":
			p.declare(a.local, p.internBytes(a.value))
		case a.prefix == "" && a.local == "xmlns":
			p.declare("", p.internBytes(a.value))
		}
	}
	uri, ok := p.lookup(t.prefix)
	fr := frame{prefix: t.prefix, local: t.local, uri: uri, qname: t.qname, nsMark: mark, textMark: len(p.text)}
	p.stack = append(p.stack, fr)
	if !ok {
		return p.errf(p.path(), "undeclared namespace prefix %q", t.prefix)
	}
	for _, a := range t.attrs {
		if a.prefix == "" || a.prefix == "xmlns" {
			continue
		}
		if _, ok := p.lookup(a.prefix); !ok {
			return p.errf(p.path(), "undeclared namespace prefix %q in attribute %s", a.prefix, qnameOf(a.prefix, a.local))
		}
	}
	depth := len(p.stack)

	switch {
	case depth == 1:
		return p.checkRoot(fr)
	case p.treeCur != nil:
		el := etree.NewElement(fr.local)
		if parentURI := p.stack[depth-2].uri; parentURI != uri {
			el.CreateAttr("xmlns", uri)
		}
		if err := p.keep(el, t.attrs); err != nil {
			return err
		}
		p.treeCur.AddChild(el)
		p.treeCur = el
		return nil
	case p.attachDepth > 0:
		return p.attachStart(fr, depth, t.selfClose)
	case depth == 2:
		switch {
		case fr.local == "edXMLEnvelope" && uri == NS:
			p.envelopes++
			if p.envelopes > 1 {
				return p.errf(p.path(), "duplicate envelope: a package has exactly one edXMLEnvelope")
			}
		case fr.local == "AttachmentEncoded" && (uri == NS || uri == ""):
			p.attachDepth = depth
		}
	case depth == 3 && p.stack[1].local == "edXMLEnvelope" && p.stack[1].uri == NS && uri == NS:
		switch fr.local {
		case "edXMLHeader", "edXMLBody":
			if (fr.local == "edXMLHeader" && p.header != nil) || (fr.local == "edXMLBody" && p.body != nil) {
				return p.errf(p.path(), "duplicate <%s>", fr.local)
			}
			el := etree.NewElement(fr.local)
			el.CreateAttr("xmlns", uri)
			if err := p.keep(el, t.attrs); err != nil {
				return err
			}
			if fr.local == "edXMLHeader" {
				p.header = el
			} else {
				p.body = el
			}
			p.treeCur, p.treeDepth = el, depth
		case "edXMLAttachments":
			p.attachDepth = depth
			p.earlyForm = true
		}
	}
	return nil
}

// checkAttrs bounds the attributes of a start tag and refuses one written
// twice (not well-formed XML; encoding/xml does not check it).
func (p *parser) checkAttrs(t *token) error {
	if len(t.attrs) > MaxAttrs {
		return p.errf(p.pathWith(t.local), "<%s> at byte offset %d has %d attributes, more than %d (MaxAttrs): far beyond any real package", t.qname, p.tokOff, len(t.attrs), MaxAttrs)
	}
	dup := ""
	if len(t.attrs) <= 16 {
		for i := 1; i < len(t.attrs) && dup == ""; i++ {
			for _, b := range t.attrs[:i] {
				if a := t.attrs[i]; a.prefix == b.prefix && a.local == b.local {
					dup = qnameOf(a.prefix, a.local)
					break
				}
			}
		}
	} else {
		clear(p.seen)
		for _, a := range t.attrs {
			k := qname{prefix: a.prefix, local: a.local}
			if _, twice := p.seen[k]; twice {
				dup = qnameOf(a.prefix, a.local)
				break
			}
			p.seen[k] = struct{}{}
		}
	}
	if dup != "" {
		return p.errf(p.pathWith(t.local), "not well-formed XML: attribute %s written twice on <%s> at byte offset %d", dup, t.qname, p.tokOff)
	}
	return nil
}

// qnameOf is prefix:local, or local.
func qnameOf(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// keep counts a header or body element and keeps its non-namespace
// attributes (appended: checkAttrs has refused duplicates, and etree's
// CreateAttr would look each one up).
func (p *parser) keep(el *node, attrs []rawAttr) error {
	p.treeElems++
	if p.treeElems > MaxHeaderElements {
		return p.errf(p.path(), "edXMLHeader and edXMLBody hold more than %d elements (MaxHeaderElements) at byte offset %d: far beyond any real package", MaxHeaderElements, p.tokOff)
	}
	for _, a := range attrs {
		if a.prefix == "xmlns" || (a.prefix == "" && a.local == "xmlns") {
			continue
		}
		p.treeBytes += int64(len(a.local) + len(a.value))
		el.Attr = append(el.Attr, etree.Attr{Space: a.prefix, Key: a.local, Value: string(a.value)})
	}
	return p.checkTreeBytes()
}

func (p *parser) checkTreeBytes() error {
	if p.treeBytes > MaxHeaderBytes {
		return p.errf(p.path(), "edXMLHeader and edXMLBody hold more than %d bytes of text and attributes (MaxHeaderBytes) at byte offset %d: far beyond any real package", MaxHeaderBytes, p.tokOff)
	}
	return nil
}

func (p *parser) checkRoot(fr frame) error {
	for _, u := range unsupportedNS {
		if strings.HasPrefix(fr.uri, u) {
			return p.errf(fr.local, "unsupported edXML version: root <%s> in namespace %q (only QCVN 102:2016 %q is read)", fr.local, fr.uri, NS)
		}
	}
	if fr.local != "edXML" || fr.uri != NS {
		return p.errf(fr.local, "wrong root or namespace: <%s> in namespace %q, expected <edXML> in %q", fr.local, fr.uri, NS)
	}
	return nil
}

func (p *parser) end(t *token) error {
	if len(p.stack) == 0 {
		return p.errf("", "not well-formed XML: unexpected </%s> at byte offset %d", qnameOf(t.prefix, t.local), p.tokOff)
	}
	top := p.stack[len(p.stack)-1]
	if top.prefix != t.prefix || top.local != t.local {
		return p.errf(p.path(), "not well-formed XML: <%s> closed by </%s> (line %d, byte offset %d)", qnameOf(top.prefix, top.local), qnameOf(t.prefix, t.local), p.line(), p.tokOff)
	}
	depth := len(p.stack)
	if p.treeCur != nil {
		if text := p.text[top.textMark:]; len(text) > 0 {
			p.treeCur.SetText(string(text))
			p.text = p.text[:top.textMark]
		}
		if depth == p.treeDepth {
			p.treeCur = nil
		} else {
			p.treeCur = p.treeCur.Parent()
		}
	}
	if p.attachDepth > 0 {
		if err := p.attachEnd(top, depth); err != nil {
			return err
		}
	}
	p.undeclare(top.nsMark)
	p.stack = p.stack[:depth-1]
	if depth == 1 {
		p.rootDone = true
	}
	return nil
}

// line is the current line: those read by the fast path and the payload
// streamer plus those the decoder read.
func (p *parser) line() int {
	return p.lines + p.decLine()
}

// charData takes a text token. Text outside the root element is not
// well-formed XML unless it is white space: a file with bytes before its
// XML declaration (a real corrupted sample begins "1212<?xml") is
// rejected. In the header tree, the pieces of an element's text (split by
// comments, CDATA sections or child elements) are gathered in p.text and
// set once when the element ends, so the cost is linear in the text.
func (p *parser) charData(t []byte) error {
	if len(p.stack) == 0 {
		if isXMLSpace(t) {
			return nil
		}
		where := "before the root element"
		if p.rootDone {
			where = "after the root element"
		}
		return p.errf("", "not well-formed XML: text %q at byte offset %d, %s (only white space, comments and processing instructions may stand outside it)", clip(t, 24), p.tokOff, where)
	}
	if isBlank(t) {
		return nil
	}
	switch {
	case p.treeCur != nil:
		top := p.stack[len(p.stack)-1]
		if len(p.text)-top.textMark+len(t) > MaxTokenBytes {
			return p.errf(p.path(), "the text of this element is longer than %d bytes (MaxTokenBytes) at byte offset %d: far beyond any real package", MaxTokenBytes, p.tokOff)
		}
		p.text = append(p.text, t...)
		p.treeBytes += int64(len(t))
		return p.checkTreeBytes()
	case p.att != nil && p.att.field != "":
		if isPayload(p.att.field) {
			// Payload delivered as tokens (after a comment): still counted, not kept.
			p.b64.writeChunk(t)
			return nil
		}
		if n := maxFieldText - p.att.text.Len(); n > 0 {
			p.att.text.Write(t[:min(n, len(t))])
		}
	}
	return nil
}

// clip is at most n bytes of t, for quoting.
func clip(t []byte, n int) string {
	if len(t) > n {
		return string(t[:n]) + "…"
	}
	return string(t)
}

// isXMLSpace reports whether t is only XML white space (space, tab, CR, LF).
func isXMLSpace(t []byte) bool {
	for _, c := range t {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

var newline = []byte{'\n'}

func isPayload(local string) bool {
	return local == "ContentTransferEncoded" || local == "AttachmentData"
}

// isBlank reports whether t is only white space (bytes.TrimSpace's).
func isBlank(t []byte) bool {
	for _, c := range t {
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
		default:
			if c < utf8.RuneSelf {
				return false
			}
			return len(bytes.TrimSpace(t)) == 0
		}
	}
	return true
}

// attachStart handles an element inside AttachmentEncoded/edXMLAttachments.
func (p *parser) attachStart(fr frame, depth int, selfClose bool) error {
	rel := depth - p.attachDepth
	if fr.uri != NS && fr.uri != "" {
		return nil
	}
	switch {
	case rel == 1 && fr.local == "Attachment":
		if len(p.attachments) >= MaxAttachments {
			return p.errf(p.path(), "more than %d attachments (MaxAttachments) at byte offset %d: far beyond any real package", MaxAttachments, p.tokOff)
		}
		p.att = &attachState{early: p.earlyForm, path: p.path()}
	case rel == 2 && p.att != nil:
		p.att.field = fr.local
		p.att.text.Reset()
		if isPayload(fr.local) {
			p.att.payloads++
			p.b64.reset()
			if !selfClose {
				return p.streamPayload()
			}
		}
	}
	return nil
}

func (p *parser) attachEnd(top frame, depth int) error {
	rel := depth - p.attachDepth
	switch {
	case rel == 0:
		p.attachDepth = 0
	case rel == 1 && p.att != nil && top.local == "Attachment":
		a := p.att
		p.att = nil
		switch {
		case p.attachErr != nil:
		case a.b64Err != nil:
			p.attachErr = p.errf(a.b64Path, "invalid base64 in attachment %q (ContentId %q): %v", a.att.Name, a.att.ContentID, a.b64Err)
		case a.payloads == 0:
			p.attachErr = p.errf(a.path, "attachment %q has no payload (ContentTransferEncoded)", a.att.Name)
		}
		p.attachments = append(p.attachments, a.att)
	case rel == 2 && p.att != nil && p.att.field != "":
		a := p.att
		v := strings.TrimSpace(strings.ToValidUTF8(a.text.String(), "")) // cut at maxFieldText: no half character
		switch a.field {
		case "ContentId":
			a.att.ContentID = strings.TrimPrefix(v, "cid:")
		case "AttachmentName":
			a.att.Name = v
		case "ContentType", "AttachmentType":
			if a.att.ContentType == "" {
				a.att.ContentType = v
			}
		case "Description":
			a.att.Description = v
		case "ContentTransferEncoded", "AttachmentData":
			size, err := p.b64.finish()
			a.att.Size += size
			if err != nil && a.b64Err == nil {
				a.b64Err, a.b64Path = err, p.path()
			}
		}
		a.field = ""
	}
	return nil
}

var cdataOpen, cdataClose = []byte("<![CDATA["), []byte("]]>")

// streamPayload reads the text of a payload element straight from the byte
// source, validating and measuring the base64 without keeping it, CDATA
// sections included, and stops before the first other '<' (the end tag,
// or a comment) so that the tokenizer resumes there. Memory stays that of
// the read buffer whatever the payload's size.
func (p *parser) streamPayload() error {
	c := p.cr
	inCDATA := false
	for {
		if c.w-c.r < len(cdataOpen) && c.err == nil {
			c.fill() // enough to recognise "<![CDATA[" and "]]>"
			continue
		}
		if c.r == c.w {
			return p.payloadReadError()
		}
		chunk := c.buf[c.r:c.w]
		var end, skip int // bytes of payload text, then markup to pass over
		switch {
		case inCDATA:
			end = bytes.Index(chunk, cdataClose)
			if end < 0 {
				// Keep a possible "]]" start of the terminator for the next fill.
				end = max(0, len(chunk)-len(cdataClose)+1)
				if c.err != nil {
					return p.payloadReadError()
				}
			} else {
				skip, inCDATA = len(cdataClose), false
			}
			if bytes.IndexByte(chunk[:end], '&') >= 0 && p.b64.err == nil {
				p.b64.err = fmt.Errorf("character '&' is not base64")
			}
		default:
			end = bytes.IndexByte(chunk, '<')
			if end < 0 {
				end = len(chunk)
			} else if rest := chunk[end:]; bytes.HasPrefix(rest, cdataOpen) {
				skip, inCDATA = len(cdataOpen), true
			} else if len(rest) < len(cdataOpen) && bytes.HasPrefix(cdataOpen, rest) && c.err == nil {
				// Too little buffered to tell a CDATA section from an end tag.
				p.consumePayload(chunk[:end])
				c.fill()
				continue
			}
		}
		if c.n+int64(end+skip) > c.limit {
			return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("larger than the limit of %d bytes (max_file_size)", p.opts.maxSize()), Err: errTooLarge}
		}
		p.consumePayload(chunk[:end])
		c.r += skip
		c.n += int64(skip)
		if !inCDATA && skip == 0 && end < len(chunk) {
			return nil // the tokenizer resumes at '<'
		}
		if c.r == c.w && c.err == nil {
			c.fill()
		}
	}
}

// consumePayload feeds text of a payload to the base64 counter and moves
// the reader past it.
func (p *parser) consumePayload(b []byte) {
	p.b64.writeChunk(b)
	p.lines += bytes.Count(b, newline)
	p.cr.r += len(b)
	p.cr.n += int64(len(b))
}

// payloadReadError is the error of a payload whose input ended.
func (p *parser) payloadReadError() error {
	switch err := p.cr.err; {
	case err == nil || err == io.EOF:
		return p.errf(p.path(), "truncated XML: the file ends inside an attachment payload")
	case err == errInterrupted:
		return p.interrupted()
	case err == errNUL:
		return p.syntaxError(err)
	default:
		return &Error{File: p.name, Path: p.path(), Msg: "read error: " + err.Error(), Err: err}
	}
}

// b64Counter validates streamed base64 text and counts decoded bytes. It
// skips XML whitespace and whitespace character references (&#13; &#xA;…).
type b64Counter struct {
	quad   [4096]byte
	n      int
	out    [3072]byte
	size   int64
	err    error
	padded bool
	ref    []byte // inside "&…;"
	inRef  bool
}

func (b *b64Counter) reset() {
	b.n, b.size, b.err, b.padded, b.inRef = 0, 0, nil, false, false
	b.ref = b.ref[:0]
}

// b64Class marks base64 alphabet bytes (1) and skippable whitespace (2).
var b64Class = func() (t [256]byte) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") {
		t[c] = 1
	}
	for _, c := range []byte(" \t\r\n") {
		t[c] = 2
	}
	return t
}()

// writeChunk is write for a run of bytes, with a fast path for runs of
// base64 characters and of white space.
func (b *b64Counter) writeChunk(chunk []byte) {
	for len(chunk) > 0 && b.err == nil {
		if b.padded || b.inRef {
			b.write(chunk[0])
			chunk = chunk[1:]
			continue
		}
		i := 0
		for i < len(chunk) && b64Class[chunk[i]] == 1 {
			i++
		}
		for run := chunk[:i]; len(run) > 0; {
			n := copy(b.quad[b.n:], run)
			b.n += n
			run = run[n:]
			if b.n == len(b.quad) {
				b.flush()
			}
		}
		for i < len(chunk) && b64Class[chunk[i]] == 2 {
			i++
		}
		chunk = chunk[i:]
		if len(chunk) > 0 && b64Class[chunk[0]] == 0 {
			b.write(chunk[0])
			chunk = chunk[1:]
		}
	}
}

func (b *b64Counter) write(c byte) {
	if b.err != nil {
		return
	}
	if b.inRef {
		if c != ';' {
			if len(b.ref) > 8 {
				b.err = fmt.Errorf("invalid character reference")
			}
			b.ref = append(b.ref, c)
			return
		}
		b.inRef = false
		switch strings.ToLower(string(b.ref)) {
		case "#13", "#10", "#9", "#32", "#xd", "#xa", "#x9", "#x20", "#x0d", "#x0a":
		default:
			b.err = fmt.Errorf("unexpected reference &%s; in base64 text", b.ref)
		}
		b.ref = b.ref[:0]
		return
	}
	switch {
	case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		return
	case c == '&':
		b.inRef = true
		return
	case c == '=':
		b.padded = true
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/':
		if b.padded {
			b.err = fmt.Errorf("data after the '=' padding")
			return
		}
	default:
		if c >= 0x20 && c < 0x7f {
			b.err = fmt.Errorf("character %q is not base64", c)
		} else {
			b.err = fmt.Errorf("byte 0x%02x is not base64", c)
		}
		return
	}
	b.quad[b.n] = c
	b.n++
	if b.n == len(b.quad) {
		b.flush()
	}
}

func (b *b64Counter) flush() {
	if !b.padded {
		// Whole groups of base64 characters always decode, to 3 bytes per 4.
		b.size += int64(b.n / 4 * 3)
		b.n = 0
		return
	}
	m, err := base64.StdEncoding.Decode(b.out[:], b.quad[:b.n])
	if err != nil {
		b.err = err
	}
	b.size += int64(m)
	b.n = 0
}

func (b *b64Counter) finish() (int64, error) {
	if b.err == nil && b.n > 0 {
		if b.n%4 != 0 {
			b.err = fmt.Errorf("length is not a multiple of 4 (truncated or unpadded)")
		} else {
			b.flush()
		}
	}
	if b.err == nil && b.inRef {
		b.err = fmt.Errorf("unterminated character reference")
	}
	return b.size, b.err
}
