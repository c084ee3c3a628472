package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"chiso/warehouse"
)

// runReader is `chiso reader password`: it prints the password of the
// read-only role chiso_reader of the embedded warehouse (kept 0600 in
// data_dir/reader.password) on stdout alone, and how to connect on stderr.
// It is never logged. `chiso reader grant` is runReaderGrant.
func runReader(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs, c := newFlags("reader", stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.Arg(0) == "grant" {
		return runReaderGrant(ctx, fs.Args()[1:], *c, stdout, stderr)
	}
	if fs.Arg(0) != "password" {
		fmt.Fprintln(stderr, "usage: chiso [-c FILE] reader password | reader grant --unit CODE")
		return 2
	}
	if err := fs.Parse(fs.Args()[1:]); err != nil || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: chiso [-c FILE] reader password")
		return 2
	}
	cfg, ok := loadConfig(configPath(*c), stderr)
	if !ok {
		return 1
	}
	if cfg.Warehouse.DSN.IsSet() {
		fmt.Fprintln(stderr, "chiso reader password: warehouse.dsn is set: the DBA of that server sets chiso_reader's password (ALTER ROLE chiso_reader PASSWORD …)")
		return 1
	}
	w, err := openWarehouse(ctx, cfg, false)
	if err != nil {
		fmt.Fprintln(stderr, "chiso reader password:", err)
		return 1
	}
	defer w.Close()
	pw, err := w.Embedded.ReaderPassword()
	if err != nil {
		fmt.Fprintln(stderr, "chiso reader password:", err)
		return 1
	}
	fmt.Fprintln(stdout, pw)
	fmt.Fprintf(stderr, "chiso_reader's password (from %s/%s). Connect over the socket as the OS user that runs chiso:\n  PGPASSWORD=… psql \"host=%s port=%d user=chiso_reader dbname=chiso\"\n",
		w.Embedded.DataDir, warehouse.ReaderPassFile, w.Embedded.SockDir, w.Embedded.Port)
	if cfg.Warehouse.ListenTCP != "" {
		fmt.Fprintf(stderr, "or over TCP (warehouse.listen_tcp %s): host=<address> port=%d user=chiso_reader dbname=chiso sslmode=require\n", cfg.Warehouse.ListenTCP, w.Embedded.Port)
	}
	return 0
}

// runReaderGrant is `chiso reader grant --unit CODE`: it creates (or
// renews) the read-only role of unit CODE's tree in a shared warehouse,
// chiso_reader_<code>, which sees by row-level security only the rows of
// CODE, the units under it and their predecessors, and prints its new
// password on stdout alone, how to connect on stderr. Run again, it gives
// the role a new password. chiso_reader still sees every row (the
// province's reader).
func runReaderGrant(ctx context.Context, args []string, cfgFlag string, stdout, stderr io.Writer) int {
	fs, c := newFlags("reader grant", stderr)
	unit := fs.String("unit", "", "the unit whose tree the reader sees (a commune, or a unit of one)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *unit == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: chiso [-c FILE] reader grant --unit CODE")
		return 2
	}
	if *c != "" {
		cfgFlag = *c
	}
	_, w, ok := openForCommand(ctx, "reader grant", cfgFlag, stderr)
	if !ok {
		return 1
	}
	defer w.Close()
	role, pw, err := w.Store.GrantUnitReader(ctx, *unit)
	if err != nil {
		fmt.Fprintln(stderr, "chiso reader grant:", err)
		return 1
	}
	fmt.Fprintln(stdout, pw)
	fmt.Fprintf(stderr, "role %s sees the rows of %s's tree only (row-level security); its new password is on standard output.\n", role, strings.ToUpper(strings.TrimSpace(*unit)))
	if w.Embedded != nil {
		fmt.Fprintf(stderr, "Connect: PGPASSWORD=… psql \"host=%s port=%d user=%s dbname=chiso\"\n", w.Embedded.SockDir, w.Embedded.Port, role)
	} else {
		fmt.Fprintf(stderr, "Connect to the server of warehouse.dsn as user %s.\n", role)
	}
	return 0
}
