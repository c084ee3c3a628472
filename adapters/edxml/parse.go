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

var errTooLarge = errors.New("package too large")

// errInterrupted is the read error once the parse's context has ended.
var errInterrupted = errors.New("parse interrupted")

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
	err        error // sticky error of src
	n, limit   int64 // bytes consumed, limit
	prev, last byte
}

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
	if c.r < c.w && c.n < c.limit {
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
	if c.n >= c.limit {
		return 0, errTooLarge
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
}

type binding struct{ prefix, uri string }

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
	rootDone bool

	envelopes int
	header    *node
	body      *node
	treeCur   *node // element being built, nil outside header/body
	treeDepth int   // stack depth of the tree root

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
	return &parser{cr: &countingReader{buf: make([]byte, readBufSize)}, names: map[string]string{}, qnames: map[string]qname{}}
}}

// maxPooledText is the largest scratch buffer kept for the next parse.
const maxPooledText = 1 << 20

func newParser(ctx context.Context, r io.Reader, name string, opts Options) *parser {
	p := parserPool.Get().(*parser)
	cr := p.cr
	*cr = countingReader{ctx: ctx, src: r, buf: cr.buf, limit: opts.maxSize()}
	// A UTF-8 byte order mark is not XML: skip it.
	for cr.w < 3 && cr.err == nil {
		cr.fill()
	}
	if bytes.HasPrefix(cr.buf[:cr.w], []byte{0xEF, 0xBB, 0xBF}) {
		cr.r = 3
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
	p.envelopes, p.header, p.body, p.treeCur, p.treeDepth = 0, nil, nil, nil, 0
	p.attachDepth, p.att, p.attachments, p.earlyForm, p.attachErr = 0, nil, nil, false, nil
	p.b64.reset()
	if cap(p.scratch) > maxPooledText {
		p.scratch = nil
	}
	parserPool.Put(p)
}

func (p *parser) path() string {
	var b strings.Builder
	for i, f := range p.stack {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(f.local)
	}
	return b.String()
}

func (p *parser) errf(path, format string, args ...any) *Error {
	return &Error{File: p.name, Path: path, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return nsXML, true
	}
	for i := len(p.bindings) - 1; i >= 0; i-- {
		if p.bindings[i].prefix == prefix {
			return p.bindings[i].uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

// ctxCheckEvery is how many tokens go by between two looks at the context
// (which is also looked at before each read of the input).
const ctxCheckEvery = 4096

// run tokenizes the whole input.
func (p *parser) run() error {
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
			p.charData(t.text)
		case tokDirective:
			return p.errf(p.path(), "DOCTYPE or entity declarations are not accepted (<!%s>)", firstWord(t.text))
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
	if errors.Is(err, errInterrupted) {
		return p.interrupted()
	}
	if errors.Is(err, errTooLarge) {
		return &Error{File: p.name, Msg: fmt.Sprintf("larger than the limit of %d bytes (max_file_size)", p.opts.maxSize()), Err: err}
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
			return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("invalid UTF-8 (line %d)", se.Line), Err: err}
		}
	}
	return &Error{File: p.name, Path: p.path(), Msg: "not well-formed XML: " + msg, Err: err}
}

func (p *parser) start(t *token) error {
	if p.rootDone {
		return p.errf(t.local, "not well-formed XML: a second root element <%s>", qnameOf(t.prefix, t.local))
	}
	mark := len(p.bindings)
	for _, a := range t.attrs {
		switch {
		case a.prefix == "xmlns":
			p.bindings = append(p.bindings, binding{a.local, p.internBytes(a.value)})
		case a.prefix == "" && a.local == "xmlns":
			p.bindings = append(p.bindings, binding{"", p.internBytes(a.value)})
		}
	}
	uri, ok := p.lookup(t.prefix)
	fr := frame{prefix: t.prefix, local: t.local, uri: uri, qname: t.qname, nsMark: mark}
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
		copyAttrs(el, t.attrs)
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
			copyAttrs(el, t.attrs)
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

// qnameOf is prefix:local, or local.
func qnameOf(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

// copyAttrs keeps the non-namespace attributes by local name (prefixes are
// not meaningful to the header reader).
func copyAttrs(el *node, attrs []rawAttr) {
	for _, a := range attrs {
		if a.prefix == "xmlns" || (a.prefix == "" && a.local == "xmlns") {
			continue
		}
		el.CreateAttr(a.local, string(a.value))
	}
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
		return p.errf("", "not well-formed XML: unexpected </%s>", qnameOf(t.prefix, t.local))
	}
	top := p.stack[len(p.stack)-1]
	if top.prefix != t.prefix || top.local != t.local {
		return p.errf(p.path(), "not well-formed XML: <%s> closed by </%s> (line %d)", qnameOf(top.prefix, top.local), qnameOf(t.prefix, t.local), p.line())
	}
	depth := len(p.stack)
	if p.treeCur != nil {
		if depth == p.treeDepth {
			p.treeCur = nil
		} else {
			p.treeCur = p.treeCur.Parent()
		}
	}
	if p.attachDepth > 0 {
		p.attachEnd(top, depth)
	}
	p.bindings = p.bindings[:top.nsMark]
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

func (p *parser) charData(t []byte) {
	if isBlank(t) {
		return
	}
	switch {
	case p.treeCur != nil:
		p.treeCur.SetText(p.treeCur.Text() + string(t))
	case p.att != nil && p.att.field != "":
		if isPayload(p.att.field) {
			// Payload delivered as tokens (CDATA): still counted, not kept.
			for _, c := range t {
				p.b64.write(c)
			}
			return
		}
		if p.att.text.Len() < maxFieldText {
			p.att.text.Write(t)
		}
	}
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

func (p *parser) attachEnd(top frame, depth int) {
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
		v := strings.TrimSpace(a.text.String())
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
}

// streamPayload reads the text of a payload element straight from the byte
// source, validating and measuring the base64 without keeping it, and stops
// before the '<' that ends it so that the decoder resumes there.
func (p *parser) streamPayload() error {
	c := p.cr
	for {
		if c.r == c.w {
			if c.err != nil {
				if c.err == io.EOF {
					return p.errf(p.path(), "truncated XML: the file ends inside an attachment payload")
				}
				if c.err == errInterrupted {
					return p.interrupted()
				}
				return &Error{File: p.name, Path: p.path(), Msg: "read error: " + c.err.Error(), Err: c.err}
			}
			c.fill()
			continue
		}
		chunk := c.buf[c.r:c.w]
		end := bytes.IndexByte(chunk, '<')
		if end >= 0 {
			chunk = chunk[:end]
		}
		if c.n+int64(len(chunk)) > c.limit {
			return &Error{File: p.name, Path: p.path(), Msg: fmt.Sprintf("larger than the limit of %d bytes (max_file_size)", p.opts.maxSize()), Err: errTooLarge}
		}
		p.b64.writeChunk(chunk)
		p.lines += bytes.Count(chunk, newline)
		c.r += len(chunk)
		c.n += int64(len(chunk))
		if end >= 0 {
			return nil // the decoder resumes at '<'
		}
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
