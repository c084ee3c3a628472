package edxml

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"unicode/utf8"
)

// The tokenizer has two paths. The fast path reads the common shapes of
// markup straight from the countingReader's buffer without copying: start
// and end tags with ASCII names and plain quoted attributes, text without
// references, the XML declaration. Anything else (comments, CDATA,
// DOCTYPE, entity or character references, non-ASCII names, odd bytes,
// syntax errors, a token longer than the buffer) is handed, one token at a
// time, to encoding/xml's RawToken on the same byte stream, so that what is
// accepted and the wording of every error stay those of encoding/xml.

// decoderOnly turns the fast path off (tests compare both paths).
var decoderOnly = false

// tokKind is the kind of a token.
type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
	tokDirective
	tokDecl  // the XML declaration <?xml …?>
	tokOther // other processing instruction, comment
)

// rawAttr is an attribute of a start tag; value is only valid until the
// next token.
type rawAttr struct {
	prefix, local string
	value         []byte
}

// token is one token; text (text and directive data) and attribute values
// point into the read buffer and are only valid until the next token.
type token struct {
	kind          tokKind
	qname         string // prefix:local as written (start and end)
	prefix, local string
	attrs         []rawAttr
	text          []byte
	selfClose     bool
}

// Byte classes of text and attribute values.
const (
	clPlain   = iota
	clNL      // '\n'
	clHigh    // first byte of a multi-byte UTF-8 sequence (or garbage)
	clCR      // '\r': normalized to '\n'
	clBracket // ']': "]]>" is not allowed in text
	clSlow    // '&', control characters, '<', quotes (in attributes)
)

var textClass = func() (t [256]byte) {
	for c := 0; c < 0x20; c++ {
		t[c] = clSlow
	}
	t['\t'] = clPlain
	t['\n'] = clNL
	t['\r'] = clCR
	t['&'] = clSlow
	t['<'] = clSlow
	t[']'] = clBracket
	for c := 0x80; c < 0x100; c++ {
		t[c] = clHigh
	}
	return t
}()

// nameByte marks bytes that may appear in an ASCII name (1) and those that
// may start one (2), as encoding/xml reads them.
var nameByte = func() (t [256]byte) {
	for c := 0; c < 256; c++ {
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c == '_', c == ':':
			t[c] = 2
		case c >= '0' && c <= '9', c == '.', c == '-':
			t[c] = 1
		}
	}
	return t
}()

// next reads the next token into t. It returns io.EOF at the end of input.
func (p *parser) next(t *token) error {
	p.tokOff = p.cr.n
	if p.decOwes {
		p.tokOff-- // the decoder has read this token's first byte
	}
	if p.pendingEnd {
		// The end half of a self-closing element read by the fast path.
		p.pendingEnd = false
		t.kind, t.qname, t.prefix, t.local, t.attrs, t.selfClose = tokEnd, p.pendingQName, p.pendingPrefix, p.pendingLocal, t.attrs[:0], false
		return nil
	}
	if !p.decOwes && !decoderOnly {
		ok, err := p.fast(t)
		if ok || err != nil {
			return err
		}
	}
	return p.slow(t)
}

// fast tries the fast path; ok false means the token is left to the decoder.
func (p *parser) fast(t *token) (ok bool, err error) {
	c := p.cr
	for {
		b := c.buf[c.r:c.w]
		if len(b) == 0 {
			if c.err == io.EOF {
				return true, io.EOF
			}
			if c.err != nil {
				return false, nil
			}
			c.fill()
			continue
		}
		var n int
		p.scanNL = 0
		if b[0] == '<' {
			n = p.scanTag(b, t)
		} else {
			n = p.scanText(b, t, c.err == io.EOF)
		}
		if n > 0 {
			if c.n+int64(n) > c.limit {
				return false, nil // the decoder reports the limit at its byte
			}
			c.r += n
			c.n += int64(n)
			p.lines += p.scanNL
			if t.kind == tokStart && t.selfClose {
				p.pendingEnd, p.pendingQName, p.pendingPrefix, p.pendingLocal = true, t.qname, t.prefix, t.local
			}
			return true, nil
		}
		if n < 0 || c.err != nil || (c.r == 0 && c.w == len(c.buf)) {
			return false, nil
		}
		c.fill()
	}
}

// slow reads one token with encoding/xml.
func (p *parser) slow(t *token) error {
	if p.dec == nil {
		p.dec = xml.NewDecoder(p.cr)
		p.dec.Strict = true
	}
	p.decOwes = false
	// The decoder holds a whole token in memory: bound it.
	c := p.cr
	c.stop = min(c.limit, c.n+MaxTokenBytes)
	tok, err := p.dec.RawToken()
	cut := c.stop < c.limit && c.n >= c.stop
	c.stop = c.limit
	if err != nil {
		return err
	}
	if _, text := tok.(xml.CharData); text && cut {
		return errTokenTooLarge // the decoder hands over the text it read before the limit
	}
	t.attrs = t.attrs[:0]
	t.selfClose = false
	switch x := tok.(type) {
	case xml.StartElement:
		t.kind, t.prefix, t.local = tokStart, x.Name.Space, x.Name.Local
		t.qname = qnameOf(t.prefix, t.local)
		for _, a := range x.Attr {
			t.attrs = append(t.attrs, rawAttr{a.Name.Space, a.Name.Local, []byte(a.Value)})
		}
		// The decoder keeps the end half of <X/> for its next call.
		t.selfClose = p.cr.prev == '/' && p.cr.last == '>'
		p.decOwes = t.selfClose
	case xml.EndElement:
		t.kind, t.prefix, t.local = tokEnd, x.Name.Space, x.Name.Local
		t.qname = qnameOf(t.prefix, t.local)
	case xml.CharData:
		// Text may end with a '<' the decoder has read and kept back.
		t.kind, t.text = tokText, x
		p.decOwes = true
	case xml.Directive:
		t.kind, t.text = tokDirective, x
	case xml.ProcInst:
		t.kind = tokOther
		if x.Target == "xml" {
			t.kind = tokDecl
		}
	default:
		t.kind = tokOther
	}
	return nil
}

// decLine is the line the decoder is on (counting only what it read).
func (p *parser) decLine() int {
	if p.dec == nil {
		return 1
	}
	l, _ := p.dec.InputPos()
	return l
}

// scanText reads text up to the next '<'. It returns the token length, 0
// when more input is needed, -1 to leave the token to the decoder.
func (p *parser) scanText(b []byte, t *token, atEOF bool) int {
	i := bytes.IndexByte(b, '<')
	if i < 0 {
		if !atEOF {
			return 0
		}
		i = len(b)
	}
	s := b[:i]
	cr := false
	if !p.checkText(s, &cr) {
		return -1
	}
	t.kind, t.text = tokText, s
	if cr {
		t.text = normalizeCR(p.scratch[:0], s)
		p.scratch = t.text
	}
	return i
}

// checkText validates character data as encoding/xml does (valid UTF-8,
// XML characters only, no "]]>") and counts its newlines; it reports false
// for anything it does not handle itself ('&' references, control bytes).
func (p *parser) checkText(s []byte, cr *bool) bool {
	for j := 0; j < len(s); {
		switch textClass[s[j]] {
		case clPlain:
			j++
		case clNL:
			p.scanNL++
			j++
		case clHigh:
			r, size := utf8.DecodeRune(s[j:])
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				return false
			}
			j += size
		case clCR:
			*cr = true // lines are counted on '\n' only, as encoding/xml does
			j++
		case clBracket:
			if bytes.HasPrefix(s[j:], []byte("]]>")) {
				return false
			}
			j++
		default:
			return false
		}
	}
	return true
}

// normalizeCR rewrites \r\n and lone \r into \n, as XML requires.
func normalizeCR(dst, s []byte) []byte {
	for j := 0; j < len(s); j++ {
		switch {
		case s[j] != '\r':
			dst = append(dst, s[j])
		case j+1 < len(s) && s[j+1] == '\n':
		default:
			dst = append(dst, '\n')
		}
	}
	return dst
}

// scanTag reads a tag starting at b[0] == '<'. Same results as scanText.
func (p *parser) scanTag(b []byte, t *token) int {
	if len(b) < 2 {
		return 0
	}
	k := bytes.IndexByte(b, '>')
	if k < 0 {
		return 0
	}
	s := b[:k+1] // up to the first '>'
	switch s[1] {
	case '/':
		j, ok := scanName(s, 2)
		if !ok {
			return -1
		}
		var q qname
		if n := len(p.stack); n > 0 && string(s[2:j]) == p.stack[n-1].qname {
			// The usual case: the element being closed.
			q = qname{p.stack[n-1].qname, p.stack[n-1].prefix, p.stack[n-1].local}
		} else if q, ok = p.splitName(s[2:j]); !ok {
			return -1
		}
		j = p.skipSpace(s, j)
		if j != k {
			return -1
		}
		t.kind, t.qname, t.prefix, t.local, t.attrs, t.selfClose = tokEnd, q.full, q.prefix, q.local, t.attrs[:0], false
		return k + 1
	case '?':
		return p.scanProcInst(s, t)
	case '!':
		return -1
	}
	j, ok := scanName(s, 1)
	if !ok {
		return -1
	}
	q, ok := p.splitName(s[1:j])
	if !ok {
		return -1
	}
	t.kind, t.qname, t.prefix, t.local, t.attrs, t.selfClose = tokStart, q.full, q.prefix, q.local, t.attrs[:0], false
	for {
		j = p.skipSpace(s, j)
		switch s[j] {
		case '>':
			return k + 1
		case '/':
			if j+1 != k {
				return -1
			}
			t.selfClose = true
			return k + 1
		}
		e, ok := scanName(s, j)
		if !ok {
			return -1
		}
		an, ok := p.splitName(s[j:e])
		if !ok {
			return -1
		}
		j = p.skipSpace(s, e)
		if s[j] != '=' {
			return -1
		}
		j = p.skipSpace(s, j+1)
		q := s[j]
		if q != '"' && q != '\'' {
			return -1
		}
		end := bytes.IndexByte(s[j+1:], q)
		if end < 0 {
			return -1
		}
		v := s[j+1 : j+1+end]
		cr := false
		if !p.checkText(v, &cr) || cr {
			return -1
		}
		t.attrs = append(t.attrs, rawAttr{an.prefix, an.local, v})
		j += end + 2
	}
}

// scanProcInst reads <?target …?>; the XML declaration is checked as
// encoding/xml checks it (version 1.0, UTF-8), else left to the decoder.
func (p *parser) scanProcInst(s []byte, t *token) int {
	k := len(s) - 1
	if s[k-1] != '?' {
		return -1
	}
	j, ok := scanName(s, 2)
	if !ok || j > k-1 {
		return -1
	}
	target := s[2:j]
	j = p.skipSpace(s, j)
	if j > k-1 {
		return -1
	}
	data := s[j : k-1]
	p.scanNL += bytes.Count(data, []byte{'\n'})
	if string(target) == "xml" {
		content := string(data)
		if ver := procInst("version", content); ver != "" && ver != "1.0" {
			return -1
		}
		if enc := procInst("encoding", content); enc != "" && !strings.EqualFold(enc, "utf-8") {
			return -1
		}
	}
	t.kind, t.attrs, t.selfClose = tokOther, t.attrs[:0], false
	if string(target) == "xml" {
		t.kind = tokDecl
	}
	return k + 1
}

// procInst is encoding/xml's reading of a pseudo-attribute of the XML
// declaration.
func procInst(param, s string) string {
	param = param + "="
	lenp := len(param)
	i := 0
	var sep byte
	for i < len(s) {
		sub := s[i:]
		k := strings.Index(sub, param)
		if k < 0 || lenp+k >= len(sub) {
			return ""
		}
		i += lenp + k + 1
		if c := sub[lenp+k]; c == '\'' || c == '"' {
			sep = c
			break
		}
	}
	if sep == 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], sep)
	if j < 0 {
		return ""
	}
	return s[i : i+j]
}

// scanName reads an ASCII name at s[j:]; ok is false when there is none or
// it holds a non-ASCII byte (left to the decoder).
func scanName(s []byte, j int) (end int, ok bool) {
	if j >= len(s) || nameByte[s[j]] != 2 {
		return j, false
	}
	for j++; j < len(s); j++ {
		c := s[j]
		if nameByte[c] == 0 {
			if c >= utf8.RuneSelf {
				return j, false
			}
			return j, true
		}
	}
	return j, true
}

// qname is a name as written, split.
type qname struct{ full, prefix, local string }

// splitName splits prefix:local as encoding/xml does (a name with more than
// one colon is refused; an empty prefix or local part keeps the whole name
// as local). Names are kept in a table shared between parses.
func (p *parser) splitName(b []byte) (q qname, ok bool) {
	if q, ok := p.qnames[string(b)]; ok {
		return q, true
	}
	i := bytes.IndexByte(b, ':')
	if i >= 0 && bytes.IndexByte(b[i+1:], ':') >= 0 {
		return q, false
	}
	q = qname{full: string(b)}
	q.local = q.full
	if i > 0 && i < len(b)-1 {
		q.prefix, q.local = q.full[:i], q.full[i+1:]
	}
	if len(p.qnames) < maxInterned && len(q.full) <= maxInternLen {
		p.qnames[q.full] = q
	}
	return q, true
}

// skipSpace skips XML white space, counting newlines.
func (p *parser) skipSpace(s []byte, j int) int {
	for ; j < len(s); j++ {
		switch s[j] {
		case ' ', '\t', '\r':
		case '\n':
			p.scanNL++
		default:
			return j
		}
	}
	return j
}

// maxInterned caps the name tables kept across parses, maxInternLen the
// length of a kept name.
const (
	maxInterned  = 4096
	maxInternLen = 256
)

// internBytes returns b as a string, shared between tokens and parses
// (namespace URIs).
func (p *parser) internBytes(b []byte) string {
	if s, ok := p.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.names) < maxInterned && len(s) <= maxInternLen {
		p.names[s] = s
	}
	return s
}
