package supervisor

import "sync"

// inbox carries messages from every other goroutine to the supervisor's
// loop. Posting never blocks and never drops: the queue grows instead
// (messages are few and small), and wake tells the loop that something
// is there.
type inbox struct {
	mu   sync.Mutex
	q    []any
	wake chan struct{}
}

func (b *inbox) init() { b.wake = make(chan struct{}, 1) }

// post queues msg for the loop.
func (b *inbox) post(msg any) {
	b.mu.Lock()
	b.q = append(b.q, msg)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
}

// take returns every queued message, oldest first.
func (b *inbox) take() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.q
	b.q = nil
	return q
}
