package api

// Remote access: the host also serves the API and /metrics on a TCP
// address, which only the host's socket can set (PUT /v1/remote: tend api
// listen). Every request there needs "Authorization: Bearer TOKEN", with
// the token of TokenFile (any request) or of ReadOnlyTokenFile (GET and
// HEAD only); its Host header must be an IP address, localhost or the
// listening address's host (against DNS rebinding).

// RemoteRequest asks the host to serve on Addr (HOST:PORT; port 0 picks
// one), with the tokens in the files named (absolute paths, not readable
// by others, at least MinTokenLen characters after trimming blanks).
type RemoteRequest struct {
	Addr              string `json:"addr"`
	TokenFile         string `json:"token_file"`
	ReadOnlyTokenFile string `json:"read_only_token_file,omitzero"`
}

// RemoteInfo answers GET, PUT and DELETE /v1/remote: whether the host
// serves on TCP, where, and with which token files. The setting is kept
// in the state folder across host restarts; Error says why the host
// could not serve as set (the port is taken, a token file is gone).
type RemoteInfo struct {
	Listening         bool   `json:"listening"`
	Addr              string `json:"addr,omitzero"`
	TokenFile         string `json:"token_file,omitzero"`
	ReadOnlyTokenFile string `json:"read_only_token_file,omitzero"`
	Error             string `json:"error,omitzero"`
}

// MinTokenLen is the shortest token accepted.
const MinTokenLen = 16

// Codes of Error for remote requests and hostile input.
const (
	CodeUnauthorized = "unauthorized" // 401: no token, or not one of the host's
	CodeForbidden    = "forbidden"    // 403: a write with the read-only token, a foreign Host header, another user
	CodeTooLarge     = "too-large"    // 413: a body larger than the host reads
	CodeBusy         = "busy"         // 503: too many connections at once
)
