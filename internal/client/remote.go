package client

import (
	"context"
	"net/http"

	"github.com/tendhq/tend/internal/api"
)

// Remote says whether the host of root serves its API on TCP too (tend
// api listen), starting the host first when none runs: it serves as set
// once started.
func Remote(ctx context.Context, root string) (api.RemoteInfo, error) {
	return remoteCall(ctx, root, http.MethodGet, nil)
}

// SetRemote has the host of root serve its API on req.Addr too, behind
// the tokens of req's files, from now on and after its restarts.
func SetRemote(ctx context.Context, root string, req api.RemoteRequest) (api.RemoteInfo, error) {
	return remoteCall(ctx, root, http.MethodPut, req)
}

// CloseRemote has the host of root stop serving on TCP, for good.
func CloseRemote(ctx context.Context, root string) error {
	_, err := remoteCall(ctx, root, http.MethodDelete, nil)
	return err
}

func remoteCall(ctx context.Context, root, method string, body any) (api.RemoteInfo, error) {
	var info api.RemoteInfo
	h, err := DialHost(ctx, root)
	if err != nil {
		return info, err
	}
	err = h.call(ctx, method, "/v1/remote", body, &info)
	return info, err
}
