package host

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/tendhq/tend/internal/api"
)

// subscriberBuffer is how many events a subscriber may be behind; one
// that falls further behind is cut off, with a last line that says so,
// rather than slowing the host down.
const subscriberBuffer = 1024

// broker hands every change of a daemon to the event streams that want
// it. Publishing never blocks.
type broker struct {
	mu   sync.Mutex
	subs map[*subscriber]bool
	// last is the view last published of each daemon (as JSON, but for
	// its record's time), so that a record rewritten unchanged is not
	// a change.
	last map[string]string
}

type subscriber struct {
	c       chan api.Event
	filter  func(api.Event) bool
	dropped bool // cut off: its channel is closed
}

func newBroker() *broker { return &broker{subs: map[*subscriber]bool{}} }

func (b *broker) publish(ev api.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if !s.filter(ev) {
			continue
		}
		select {
		case s.c <- ev:
		default:
			s.dropped = true
			close(s.c)
			delete(b.subs, s)
		}
	}
}

// listened reports whether a stream listens.
func (b *broker) listened() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs) > 0
}

func (b *broker) subscribe(filter func(api.Event) bool) *subscriber {
	s := &subscriber{c: make(chan api.Event, subscriberBuffer), filter: filter}
	b.mu.Lock()
	b.subs[s] = true
	b.mu.Unlock()
	return s
}

func (b *broker) unsubscribe(s *subscriber) {
	b.mu.Lock()
	if b.subs[s] {
		delete(b.subs, s)
		close(s.c)
	}
	b.mu.Unlock()
}

// publish sends a daemon's view as it is now, when a stream listens and
// it changed since the last one sent.
func (h *Host) publish(name string) {
	if !h.events.listened() {
		h.events.forget(name) // the next stream starts from a snapshot
		return
	}
	v, err := h.eventView(name)
	if err != nil {
		h.events.forget(name)
		h.events.publish(api.Event{Type: api.EventRemoved, Time: time.Now(), Name: name})
		return
	}
	if h.events.same(name, v) {
		return
	}
	h.events.publish(api.Event{Type: api.EventChange, Time: time.Now(), Name: name, Daemon: v})
}

// eventView is name's view for the event stream: a daemon the host runs
// as its supervisor's record, without asking it for its processes (the
// request itself, a message to its loop, rewrites the record, whose
// change would come back here, for ever); another as view has it.
func (h *Host) eventView(name string) (*api.View, error) {
	if _, err := h.store.Existing(name); err != nil {
		return nil, err
	}
	if sup := h.reg.get(name); sup != nil {
		rec := sup.Record()
		return &api.View{Record: rec, Condition: api.Condition(rec.State), SupervisorAlive: true,
			MainAlive: rec.Main().PID > 0 && rec.Main().Alive()}, nil
	}
	v, _, err := h.view(name)
	return v, err
}

// same reports whether v is the view last published of name but for the
// time the record was written (a supervisor rewrites it after every
// request, also one that changed nothing), and remembers v.
func (b *broker) same(name string, v *api.View) bool {
	c := *v
	c.UpdatedAt = time.Time{}
	key, _ := json.Marshal(&c)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]string{}
	}
	if b.last[name] == string(key) {
		return true
	}
	b.last[name] = string(key)
	return false
}

// forget drops what was last published of name.
func (b *broker) forget(name string) {
	b.mu.Lock()
	delete(b.last, name)
	b.mu.Unlock()
}

// getEvents streams a snapshot of every daemon (of ?project=, of ?name=),
// then every change, one JSON object a line.
func (h *Host) getEvents(w http.ResponseWriter, r *http.Request) {
	project, names := r.URL.Query().Get("project"), r.URL.Query()["name"]
	match := func(ev api.Event) bool {
		if len(names) > 0 {
			for _, n := range names {
				if n == ev.Name {
					return true
				}
			}
			return false
		}
		if project != "" {
			return strings.HasPrefix(ev.Name, project+".")
		}
		return true
	}
	sub := h.events.subscribe(match)
	defer h.events.unsubscribe(sub)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	flush := func() {
		bw.Flush()
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	}
	for _, v := range h.views() {
		ev := api.Event{Type: api.EventSnapshot, Time: time.Now(), Name: v.Name, Daemon: v}
		if match(ev) {
			enc.Encode(ev)
		}
	}
	enc.Encode(api.Event{Type: api.EventSynced, Time: time.Now()})
	flush()
	for {
		select {
		case ev, ok := <-sub.c:
			if !ok {
				enc.Encode(api.Event{Type: api.EventDropped, Time: time.Now(),
					Message: "this stream fell too far behind and was cut off; read faster, and ask again"})
				flush()
				return
			}
			enc.Encode(ev)
			// Write what else is ready at once, then flush.
			for more := true; more; {
				select {
				case ev, ok := <-sub.c:
					if !ok {
						more = false
						break
					}
					enc.Encode(ev)
				default:
					more = false
				}
			}
			flush()
		case <-r.Context().Done():
			return
		case <-h.ending:
			return
		}
	}
}
