package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// stdin is where chiso hash-password reads the password (tests replace it).
var stdin io.Reader = os.Stdin

// runHashPassword is `chiso hash-password`: it reads one password from
// standard input (its first line) and prints its bcrypt hash, the value of
// a web.users entry's password_hash. The password is never echoed or logged.
func runHashPassword(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags("hash-password", stderr)
	cost := fs.Int("cost", bcrypt.DefaultCost, "bcrypt cost (10–14)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *cost < 10 || *cost > 14 {
		fmt.Fprintln(stderr, "chiso hash-password: --cost must be from 10 to 14")
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 1024)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintln(stderr, "chiso hash-password: reading the password:", err)
		return 1
	}
	pass := strings.TrimRight(line, "\r\n")
	if len(pass) < 8 {
		fmt.Fprintln(stderr, "chiso hash-password: give a password of at least 8 characters on standard input (e.g. chiso hash-password < file, or type it and press Enter)")
		return 1
	}
	if len(pass) > 72 {
		fmt.Fprintln(stderr, "chiso hash-password: the password is longer than 72 bytes (bcrypt's limit)")
		return 1
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pass), *cost)
	if err != nil {
		fmt.Fprintln(stderr, "chiso hash-password:", err)
		return 1
	}
	fmt.Fprintln(stdout, string(h))
	return 0
}
