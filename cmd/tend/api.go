package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/host"
)

func apiCommand() *command {
	return &command{
		name:    "api",
		usage:   "status | listen ADDR --token-file FILE [--read-only-token-file FILE] | listen --off",
		summary: "the host's HTTP API: where it is served; serve it on a TCP address too",
		help: `The host serves an HTTP/JSON API on its socket, $TEND_HOME/tend.sock, that
tend itself uses (see the README, "The API"):

  curl --unix-socket $TEND_HOME/tend.sock http://tend/v1/daemons

and Prometheus metrics at /metrics.

  tend api status        where the API is served
  tend api listen ADDR --token-file FILE [--read-only-token-file FILE]
                         serve it on the TCP address ADDR (HOST:PORT) too,
                         from now on and after the host's restarts; every
                         request needs "Authorization: Bearer TOKEN", with
                         the token in FILE (one word of 16 characters or
                         more, in a file other users cannot read), or the
                         read-only token for GET requests only
  tend api listen --off  serve it on the socket only

The write token gives what tend gives: running any command as you. Listen
on a loopback address (127.0.0.1:9100), or put the address behind TLS.`,
		flags: func() *flagSet {
			var o apiOpts
			return apiFlags(&o)
		},
		run: runAPI,
	}
}

type apiOpts struct {
	tokenFile, readOnlyFile string
	off                     bool
}

func apiFlags(o *apiOpts) *flagSet {
	fs := newFlagSet("api")
	fs.str(&o.tokenFile, "token-file", 0, "FILE", "listen: the file of the token that opens every request")
	fs.str(&o.readOnlyFile, "read-only-token-file", 0, "FILE", "listen: the file of a token that opens GET requests only (a Prometheus's)")
	fs.boolean(&o.off, "off", 0, "listen: stop serving on TCP")
	return fs
}

func runAPI(args []string) int {
	var o apiOpts
	p, code, done := parseArgs(apiCommand(), apiFlags(&o), args)
	if done {
		return code
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	root := store.Root()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch {
	case len(p.args) == 1 && p.args[0] == "status":
		info, err := client.Remote(ctx, root)
		if err != nil {
			return fail(err)
		}
		fmt.Printf("socket: %s\n", filepath.Join(root, host.SocketName))
		printRemote(info)
		return exitOK
	case len(p.args) == 1 && p.args[0] == "listen" && o.off:
		if o.tokenFile != "" || o.readOnlyFile != "" {
			return fail(usageErr("api", "--off takes no token file"))
		}
		if err := client.CloseRemote(ctx, root); err != nil {
			return fail(err)
		}
		fmt.Println("the API is served on the host's socket only")
		return exitOK
	case len(p.args) == 2 && p.args[0] == "listen" && !o.off:
		if o.tokenFile == "" {
			return fail(usageErr("api", "listen %s: give the file of the token, --token-file FILE (make one: head -c 32 /dev/urandom | base64 > FILE; chmod 600 FILE)", p.args[1]))
		}
		req := api.RemoteRequest{Addr: p.args[1]}
		for _, f := range []struct{ in, out *string }{{&o.tokenFile, &req.TokenFile}, {&o.readOnlyFile, &req.ReadOnlyTokenFile}} {
			if *f.in != "" {
				abs, err := filepath.Abs(*f.in)
				if err != nil {
					return fail(err)
				}
				*f.out = abs
			}
		}
		info, err := client.SetRemote(ctx, root, req)
		if err != nil {
			return fail(fmt.Errorf("tend api listen %s: %w", p.args[1], err))
		}
		printRemote(info)
		return exitOK
	}
	return fail(usageErr("api", "give what to do: tend api status | listen ADDR --token-file FILE | listen --off"))
}

func printRemote(info api.RemoteInfo) {
	switch {
	case info.Listening:
		ro := ""
		if info.ReadOnlyTokenFile != "" {
			ro = fmt.Sprintf(", read-only: %s", info.ReadOnlyTokenFile)
		}
		fmt.Printf("tcp:    http://%s (token: %s%s)\n", info.Addr, info.TokenFile, ro)
	case info.Addr != "":
		fmt.Printf("tcp:    %s, set but not served: %s\n", info.Addr, info.Error)
	default:
		fmt.Println("tcp:    off (tend api listen ADDR --token-file FILE)")
	}
}
