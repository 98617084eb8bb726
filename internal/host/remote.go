package host

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/state"
)

// Remote access (tend api listen): the host also serves its API on a TCP
// address, behind a bearer token. The setting is kept in the state folder
// (remoteFile, 0600), and the listening socket by the keeper (remoteKey),
// so that a new host serves on at once; after the keeper's own end, the
// next host binds the address again.

const (
	remoteKey  = "host/remote"
	remoteFile = ".remote.json" // not a daemon's name: those never start with '.'
)

// remoteSetting is remoteFile.
type remoteSetting struct {
	Addr              string `json:"addr"` // as given, with the port bound
	TokenFile         string `json:"token_file"`
	ReadOnlyTokenFile string `json:"read_only_token_file,omitzero"`
}

// remote is the host's TCP listener, when set.
type remote struct {
	mu   sync.Mutex
	set  *remoteSetting // nil: off
	srv  *http.Server   // serving set; nil when it could not
	ln   net.Listener
	gate *gate
	err  string // why set is not served
	// kept is the listener a host before this one left with the keeper,
	// until serveRemote takes it.
	kept *os.File
}

func (h *Host) remoteFile() string { return filepath.Join(h.store.Root(), remoteFile) }

// resumeRemote reads the setting and takes back the listener the keeper
// kept: before adopt, which closes what nobody took.
func (h *Host) resumeRemote() *remote {
	rm := &remote{}
	var set remoteSetting
	if err := state.ReadJSON(h.remoteFile(), &set); err == nil {
		rm.set = &set
	} else if !errors.Is(err, fs.ErrNotExist) {
		h.logf("remote access: %v; not serving on TCP", err)
	}
	if files := h.kept.Kept(remoteKey); len(files) == 1 {
		rm.kept = files[0]
	}
	return rm
}

// serveRemote serves on the address set, with the kept listener when it
// is that address's.
func (h *Host) serveRemote() {
	rm := h.remote
	rm.mu.Lock()
	defer rm.mu.Unlock()
	kept := rm.kept
	rm.kept = nil
	if rm.set == nil {
		if kept != nil {
			kept.Close()
			h.keeper.Drop(remoteKey)
		}
		return
	}
	var ln net.Listener
	if kept != nil {
		l, err := net.FileListener(kept)
		kept.Close()
		if err == nil && l.Addr().String() == mustResolve(rm.set.Addr) {
			ln = l
		} else if err == nil {
			l.Close()
		}
	}
	if err := h.listenRemote(rm, *rm.set, ln); err != nil {
		rm.err = err.Error()
		h.logf("remote access: %v", err)
	}
}

// mustResolve is addr as a listener's Addr shows it, "" when it does not
// resolve.
func mustResolve(addr string) string {
	a, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		return ""
	}
	return a.String()
}

// listenRemote serves set on ln (nil: bound now), in place of what rm
// served, and keeps the listener and the setting; rm.mu is held.
func (h *Host) listenRemote(rm *remote, set remoteSetting, ln net.Listener) error {
	toks, err := readTokens(set.TokenFile, set.ReadOnlyTokenFile)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(set.Addr)
	if err != nil {
		return fmt.Errorf("%w: %q is not HOST:PORT: %w", errBadRequest, set.Addr, err)
	}
	if rm.srv != nil && ln == nil && !strings.HasSuffix(set.Addr, ":0") && mustResolve(set.Addr) == rm.ln.Addr().String() {
		// The same address: new tokens only.
		rm.gate.keys.Store(&gateKeys{tokens: toks, host: host})
		set.Addr = net.JoinHostPort(host, portOf(rm.ln.Addr()))
		return h.saveRemote(rm, &set)
	}
	if ln == nil {
		if ln, err = net.Listen("tcp", set.Addr); err != nil {
			return fmt.Errorf("listen on %s: %w", set.Addr, err)
		}
		if f, err := ln.(*net.TCPListener).File(); err == nil {
			h.keeper.Store(remoteKey, f)
			f.Close()
		}
	}
	set.Addr = net.JoinHostPort(host, portOf(ln.Addr()))
	if err := h.saveRemote(rm, &set); err != nil {
		ln.Close()
		return err
	}
	rm.stop()
	g := &gate{next: h.srv.Handler}
	g.keys.Store(&gateKeys{tokens: toks, host: host})
	srv := serverTimeouts(&http.Server{Handler: g})
	rm.srv, rm.ln, rm.gate, rm.err = srv, ln, g, ""
	h.logf("serving the API on http://%s (remote access)", ln.Addr())
	go srv.Serve(limitConns(ln, maxRemoteConns, h.logf))
	return nil
}

func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// saveRemote writes the setting (nil: removes it).
func (h *Host) saveRemote(rm *remote, set *remoteSetting) error {
	if set == nil {
		if err := os.Remove(h.remoteFile()); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	} else if err := state.WriteJSON(h.remoteFile(), set, 0o600); err != nil {
		return fmt.Errorf("keep the setting: %w", err)
	}
	rm.set = set
	return nil
}

// stop closes the server, with the connections it serves.
func (rm *remote) stop() {
	if rm.srv != nil {
		rm.srv.Close()
		rm.srv, rm.ln, rm.gate = nil, nil, nil
	}
}

// shutdown ends the server when the host exits: the keeper keeps the
// listener.
func (rm *remote) shutdown(ctx context.Context) {
	rm.mu.Lock()
	srv := rm.srv
	rm.mu.Unlock()
	if srv != nil {
		srv.Shutdown(ctx)
	}
}

func (rm *remote) info() api.RemoteInfo {
	var info api.RemoteInfo
	if rm.set != nil {
		info.Addr, info.TokenFile, info.ReadOnlyTokenFile = rm.set.Addr, rm.set.TokenFile, rm.set.ReadOnlyTokenFile
	}
	info.Listening, info.Error = rm.srv != nil, rm.err
	return info
}

// getRemote, putRemote and deleteRemote are /v1/remote, on the host's
// socket only (the gate refuses them on TCP).
func (h *Host) getRemote(w http.ResponseWriter, r *http.Request) {
	h.remote.mu.Lock()
	defer h.remote.mu.Unlock()
	writeJSON(w, http.StatusOK, h.remote.info())
}

func (h *Host) putRemote(w http.ResponseWriter, r *http.Request) {
	var req api.RemoteRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	for _, f := range []string{req.TokenFile, req.ReadOnlyTokenFile} {
		if f != "" && !filepath.IsAbs(f) {
			writeError(w, fmt.Errorf("%w: token file %q: give an absolute path", errBadRequest, f))
			return
		}
	}
	rm := h.remote
	rm.mu.Lock()
	defer rm.mu.Unlock()
	err := h.listenRemote(rm, remoteSetting{Addr: req.Addr, TokenFile: req.TokenFile, ReadOnlyTokenFile: req.ReadOnlyTokenFile}, nil)
	if err != nil && !errors.Is(err, errBadRequest) {
		err = fmt.Errorf("%w: %w", errBadRequest, err) // the address or a file: the caller's to fix
	}
	answer(w, rm.info(), err)
}

func (h *Host) deleteRemote(w http.ResponseWriter, r *http.Request) {
	rm := h.remote
	rm.mu.Lock()
	defer rm.mu.Unlock()
	if rm.srv != nil {
		h.logf("no longer serving the API on http://%s", rm.ln.Addr())
	}
	rm.stop()
	h.keeper.Drop(remoteKey)
	rm.err = ""
	answer(w, api.RemoteInfo{}, h.saveRemote(rm, nil))
}

// tokens are the SHA-256 digests of the tokens that open the gate.
type tokens struct {
	write, read [sha256.Size]byte
	hasRead     bool
}

// readTokens reads the token files.
func readTokens(writeFile, readFile string) (*tokens, error) {
	var t tokens
	var err error
	if writeFile == "" {
		return nil, fmt.Errorf("%w: give the file of the token (--token-file)", errBadRequest)
	}
	if t.write, err = readToken(writeFile); err != nil {
		return nil, err
	}
	if readFile != "" {
		if t.read, err = readToken(readFile); err != nil {
			return nil, err
		}
		if t.read == t.write {
			return nil, fmt.Errorf("%w: %s and %s hold the same token: the read-only one must differ", errBadRequest, writeFile, readFile)
		}
		t.hasRead = true
	}
	return &t, nil
}

// readToken reads a token: one word of at least api.MinTokenLen
// characters, in a regular file that other users cannot read.
func readToken(name string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	f, err := os.Open(name)
	if err != nil {
		return sum, fmt.Errorf("token file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return sum, fmt.Errorf("token file: %w", err)
	case !fi.Mode().IsRegular():
		return sum, fmt.Errorf("%w: token file %s is not a regular file", errBadRequest, name)
	case fi.Mode().Perm()&0o004 != 0:
		return sum, fmt.Errorf("%w: token file %s is readable by every user: chmod 600 %s", errBadRequest, name, name)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return sum, fmt.Errorf("token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < api.MinTokenLen || strings.ContainsFunc(tok, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return sum, fmt.Errorf("%w: token file %s: want one word of at least %d characters (make one: head -c 32 /dev/urandom | base64 > %s)",
			errBadRequest, name, api.MinTokenLen, name)
	}
	return sha256.Sum256([]byte(tok)), nil
}

// gate lets a request of the TCP address through to the API when its
// Host header is this host's and its token opens it.
type gate struct {
	next http.Handler
	keys atomic.Pointer[gateKeys]
}

// gateKeys are what a gate checks, replaced whole by tend api listen.
type gateKeys struct {
	tokens *tokens
	host   string // the listening address's host, as given
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	keys := g.keys.Load()
	if !keys.allowedHost(r.Host) {
		writeJSON(w, http.StatusForbidden, api.Error{Code: api.CodeForbidden,
			Message: fmt.Sprintf("the Host header %q is not this host's address: use its IP address, localhost or %s", r.Host, keys.host)})
		return
	}
	if p := path.Clean("/" + r.URL.Path); p == "/v1/remote" || strings.HasPrefix(p, "/v1/remote/") {
		writeJSON(w, http.StatusForbidden, api.Error{Code: api.CodeForbidden,
			Message: "remote access is set on the host's socket only (tend api listen)"})
		return
	}
	t := keys.tokens
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	bearer := strings.EqualFold(scheme, "Bearer")
	write := subtle.ConstantTimeCompare(sum[:], t.write[:]) == 1
	read := subtle.ConstantTimeCompare(sum[:], t.read[:]) == 1 && t.hasRead
	switch {
	case !bearer || !write && !read:
		w.Header().Set("WWW-Authenticate", `Bearer realm="tend"`)
		writeJSON(w, http.StatusUnauthorized, api.Error{Code: api.CodeUnauthorized,
			Message: "give the token of tend api listen --token-file: Authorization: Bearer TOKEN"})
	case !write && r.Method != http.MethodGet && r.Method != http.MethodHead:
		writeJSON(w, http.StatusForbidden, api.Error{Code: api.CodeForbidden,
			Message: fmt.Sprintf("%s %s needs the token of --token-file: the read-only token reads only (GET)", r.Method, r.URL.Path)})
	default:
		g.next.ServeHTTP(w, r)
	}
}

// allowedHost: an IP address, localhost, or the listening address's host
// name; a DNS name of someone else's that resolves here is refused (DNS
// rebinding). No Host header (HTTP/1.0) is no such attack.
func (g *gateKeys) allowedHost(hostport string) bool {
	if hostport == "" {
		return true
	}
	h := hostport
	if hh, _, err := net.SplitHostPort(hostport); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(h, ".")
	if i := strings.IndexByte(h, '%'); i >= 0 {
		h = h[:i] // an IPv6 zone
	}
	return net.ParseIP(strings.Trim(h, "[]")) != nil || strings.EqualFold(h, "localhost") ||
		g.host != "" && strings.EqualFold(h, strings.TrimSuffix(g.host, "."))
}
