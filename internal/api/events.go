package api

import (
	"context"
	"encoding/json"
	"io"
)

// ReadEvents decodes the event stream body (GET /v1/events), one Event a
// line, onto the channel it returns, until the stream ends, a line is not
// an event, or ctx is done; then it closes body and the channel.
func ReadEvents(ctx context.Context, body io.ReadCloser) <-chan Event {
	out := make(chan Event, 64)
	go func() {
		defer close(out)
		defer body.Close()
		dec := json.NewDecoder(body)
		for {
			var ev Event
			if err := dec.Decode(&ev); err != nil {
				return
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}
