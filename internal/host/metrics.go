package host

import (
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tendhq/tend/internal/api"
	"github.com/tendhq/tend/internal/cgroup"
	"github.com/tendhq/tend/internal/definition"
	"github.com/tendhq/tend/internal/logcap"
	"github.com/tendhq/tend/internal/proc"
	"github.com/tendhq/tend/internal/state"
	"github.com/tendhq/tend/internal/status"
)

// GET /metrics: every daemon's figures, in Prometheus's text format,
// read when a scrape asks (nothing is sampled meanwhile), and the host's
// own process and Go figures. A daemon's labels are its name and its
// project (tend up's; "" for a daemon started with tend start): never its
// command or environment.

// conditions are the values of tend_daemon_state's state label: every
// state, and the conditions an observer sees from outside.
func conditions() []api.Condition {
	return []api.Condition{
		api.Condition(status.Starting), api.Condition(status.Running), api.Condition(status.BackingOff),
		api.Condition(status.Stopping), api.Condition(status.Restarting), api.Condition(status.Reloading),
		api.Condition(status.Stopped), api.Condition(status.Failed), api.Condition(status.Exited),
		api.Condition(status.Completed), api.Condition(status.Scheduled), api.Lost, api.Dead,
	}
}

// Limits of tend_daemon_limit_hits_total.
const (
	limitMemory = status.LimitMemory // memory.max, or --memory-max checked by tend
	limitPids   = "pids"             // pids.max refused a fork
	limitCPU    = "cpu"              // cpu.max throttled the daemon
)

// daemonMetrics is the Collector of the daemons' figures.
type daemonMetrics struct {
	h                                                     *Host
	up, state, restarts, started, lastExit, cpu, memory   *prometheus.Desc
	processes, instances, ready, lines, dropped, limitHit *prometheus.Desc
}

func newDaemonMetrics(h *Host) *daemonMetrics {
	labels := []string{"name", "project"}
	desc := func(name, help string, more ...string) *prometheus.Desc {
		return prometheus.NewDesc("tend_daemon_"+name, help, append(labels, more...), nil)
	}
	return &daemonMetrics{h: h,
		up:        desc("up", "1 when the daemon's command runs under its supervisor (starting, running, reloading, restarting or stopping), else 0."),
		state:     desc("state", "1 for the daemon's current state or condition, 0 for the others.", "state"),
		restarts:  desc("restarts_total", "Starts of the daemon's command after the first (of every instance), since it was last started by a request."),
		started:   desc("start_time_seconds", "When the daemon's current or last incarnation started, in seconds since the Unix epoch."),
		lastExit:  desc("last_exit_code", "Exit status of the daemon's last main process (128+N after signal N), once one has ended."),
		cpu:       desc("cpu_seconds_total", "CPU time used by all of the daemon's processes: its cgroup's, or the sum over the processes that run now."),
		memory:    desc("memory_bytes", "Memory used by all of the daemon's processes: its cgroup's memory.current, or the sum of their resident sets."),
		processes: desc("processes", "How many processes the daemon has."),
		instances: desc("instances", "How many instances of the command run (--instances)."),
		ready:     desc("ready", "1 when the running incarnation passed its --ready check, else 0."),
		lines:     desc("log_lines_total", "Lines the daemon wrote to its output log, by stream, since its supervisor started.", "stream"),
		dropped:   desc("log_lines_dropped_total", "Lines of the daemon's output lost because its log could not be written."),
		limitHit:  desc("limit_hits_total", "Times the daemon hit a limit: memory (memory.max, or --memory-max checked by tend), pids (pids.max refused a fork), cpu (cpu.max throttled it).", "limit"),
	}
}

func (m *daemonMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.up, m.state, m.restarts, m.started, m.lastExit, m.cpu, m.memory,
		m.processes, m.instances, m.ready, m.lines, m.dropped, m.limitHit} {
		ch <- d
	}
}

func (m *daemonMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, v := range m.h.views() {
		m.collect(ch, v)
	}
}

// collect sends one daemon's figures.
func (m *daemonMetrics) collect(ch chan<- prometheus.Metric, v *api.View) {
	name, project := v.Name, m.project(v.Name)
	send := func(d *prometheus.Desc, t prometheus.ValueType, value float64, more ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, value, append([]string{name, project}, more...)...)
	}
	gauge := func(d *prometheus.Desc, value float64, more ...string) {
		send(d, prometheus.GaugeValue, value, more...)
	}
	counter := func(d *prometheus.Desc, value float64, more ...string) {
		send(d, prometheus.CounterValue, value, more...)
	}
	rec := &v.Record
	gauge(m.up, flag(v.SupervisorAlive, v.ExitCode() == 0))
	for _, c := range conditions() {
		gauge(m.state, flag(v.Condition == c), string(c))
	}
	restarts := rec.Restarts
	if len(rec.Instances) > 0 {
		restarts = 0
		for _, in := range rec.Instances {
			restarts += in.Restarts
		}
	}
	counter(m.restarts, float64(restarts))
	if !rec.StartedAt.IsZero() {
		gauge(m.started, float64(rec.StartedAt.UnixNano())/float64(time.Second))
	}
	if rec.LastExit != nil {
		gauge(m.lastExit, float64(rec.LastExit.Code))
	}
	gauge(m.instances, float64(rec.InstanceCount))
	gauge(m.ready, flag(rec.Ready))

	var group *cgroup.Group
	if rec.Cgroup != "" {
		group, _ = cgroup.Open(rec.Cgroup) // gone with the daemon's end
	}
	u := usageOf(v, group)
	gauge(m.processes, float64(u.processes))
	counter(m.cpu, u.cpu.Seconds())
	gauge(m.memory, float64(u.memory))

	if sup := m.h.reg.get(name); sup != nil {
		byStream := map[string]int64{logcap.Stdout: 0, logcap.Stderr: 0}
		sup.WithLog(func(l *logcap.Log) error {
			for s, n := range l.StreamLines() {
				base, _, _ := strings.Cut(s, ".") // stdout.2: instance 2's
				byStream[base] += n
			}
			return nil
		})
		for s, n := range byStream {
			counter(m.lines, float64(n), s)
		}
	}
	counter(m.dropped, float64(rec.LostLines))
	hits := map[string]int64{limitMemory: rec.LimitHits[status.LimitMemory], limitPids: 0, limitCPU: 0}
	if group != nil {
		if ev, err := group.Counters("memory.events"); err == nil {
			hits[limitMemory] += ev["max"]
		}
		if ev, err := group.Counters("pids.events"); err == nil {
			hits[limitPids] += ev["max"]
		}
		if st, err := group.Counters("cpu.stat"); err == nil {
			hits[limitCPU] += st["nr_throttled"]
		}
	}
	for l, n := range hits {
		counter(m.limitHit, float64(n), l)
	}
}

// project is the project a daemon was brought up from by tend up, from
// its stored definition; "" for one started otherwise.
func (m *daemonMetrics) project(name string) string {
	dir, err := m.h.store.Existing(name)
	if err != nil {
		return ""
	}
	var def definition.Definition
	if state.ReadJSON(dir.DefinitionFile(), &def) != nil {
		return ""
	}
	return def.Project
}

func flag(conds ...bool) float64 {
	for _, c := range conds {
		if !c {
			return 0
		}
	}
	return 1
}

// usage is what a daemon's processes use now.
type usage struct {
	processes int
	cpu       time.Duration
	memory    int64
}

// usageOf reads the daemon's usage: from its cgroup where it has one
// (cpu.stat, memory.current where the memory controller is enabled),
// else summed over its processes in /proc.
func usageOf(v *api.View, group *cgroup.Group) usage {
	pids := daemonPIDs(v, group)
	u := usage{processes: len(pids)}
	cpuKnown, memKnown := false, false
	if group != nil {
		if st, err := group.Counters("cpu.stat"); err == nil {
			if us, ok := st["usage_usec"]; ok {
				u.cpu, cpuKnown = time.Duration(us)*time.Microsecond, true
			}
		}
		if n, err := group.Value("memory.current"); err == nil {
			u.memory, memKnown = n, true
		}
	}
	for _, pid := range pids {
		if !cpuKnown {
			if t, ok := proc.CPUTime(pid); ok {
				u.cpu += t
			}
		}
		if !memKnown {
			u.memory += proc.ResidentBytes(pid)
		}
	}
	return u
}

// daemonPIDs returns the daemon's processes: those its supervisor in the
// host tracks; or those of its cgroup; or the descendants of its own
// supervisor process (--isolated: they stay below it, their subreaper);
// or, with no supervisor, what the view found left of it.
func daemonPIDs(v *api.View, group *cgroup.Group) []int {
	switch {
	case len(v.Members) > 0:
		return v.Members
	case v.SupervisorAlive && !v.Elsewhere:
		return nil // in the host, and nothing runs
	case group != nil:
		pids, _ := group.Procs()
		return pids
	case v.Elsewhere:
		pids, _ := proc.Descendants(v.Supervisor.PID)
		return pids
	}
	var pids []int
	for _, id := range v.Leftovers {
		pids = append(pids, id.PID)
	}
	return pids
}

// metricsHandler serves GET /metrics from a registry of the daemons'
// Collector and the host's own process and Go figures.
func (h *Host) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newDaemonMetrics(h),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector())
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, MaxRequestsInFlight: 4})
}
