// Command reliability is tend's fault campaign (issue 13), as a program:
// it builds tend, then runs each experiment a number of times against the
// real binary and real processes (sleep, sh, python3 and nginx where they
// are installed), each experiment in its own TEND_HOME under a temporary
// folder, and prints a Markdown table of what was checked, how many tries
// and how many failures, with the machine it ran on.
//
//	go run ./reliability                  # the full campaign: a few minutes
//	go run ./reliability -short           # the pass that .ci/run makes: under a minute
//	go run ./reliability -only kill9 -tries 100 -out /tmp/report.md
//
// Every experiment reproduces one finding of the campaign that issue 13
// (and the "Why" of issue 12) reported, and checks the outcome the issue
// asks for. A failing experiment is a row with failures, and the first
// failure of each is printed in full below the table; the exit status is
// then 1. Every try has a deadline; afterwards the campaign stops the
// daemons it started (tend stop --all), then kills, by pid and start
// time, any process of its own that is left, removes the cgroups and
// tmpfs mounts it made, and its temporary folder.
//
// The experiments need Linux (/proc, cgroups, tmpfs); on other systems
// the program builds and says so.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// config is what the command line chose, and what every experiment shares.
type config struct {
	tries    int  // 0: each experiment's own count
	short    bool // the CI pass
	only     []string
	out      string
	commit   string // build tend from this commit instead of the working tree
	parallel int
	verbose  bool

	root   string // the module's folder
	tmp    string // the campaign's temporary folder
	tend   string // the tend binary
	token  string // a random word that names this run's daemons and processes
	python string // the python3 interpreter, resolved; "" when absent
	ci     bool   // under CI: a missing program fails its experiment
}

func main() {
	var cfg config
	only := ""
	flag.IntVar(&cfg.tries, "tries", 0, "tries per experiment (default: each experiment's own count)")
	flag.BoolVar(&cfg.short, "short", false, "a short pass (fewer tries, four experiments at once): under a minute, for CI")
	flag.StringVar(&only, "only", "", "run only the experiments whose names contain one of these comma-separated words")
	flag.StringVar(&cfg.out, "out", "", "also write the report to `FILE` (Markdown)")
	flag.StringVar(&cfg.commit, "commit", "", "build tend from this `REV` (git archive) instead of the working tree")
	flag.IntVar(&cfg.parallel, "parallel", 0, "experiments run at once (default 1, or 4 with -short)")
	flag.BoolVar(&cfg.verbose, "v", false, "print every command the campaign runs, with how long it took")
	list := flag.Bool("list", false, "list the experiments and exit")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./reliability [-tries N] [-short] [-only NAME,...] [-out FILE] [-commit REV]\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 || cfg.tries < 0 || cfg.parallel < 0 {
		flag.Usage()
		os.Exit(2)
	}
	if *list {
		for _, x := range experiments() {
			fmt.Printf("%-22s %s\n", x.Name, x.Checks)
		}
		return
	}
	for _, w := range strings.Split(only, ",") {
		if w = strings.TrimSpace(w); w != "" {
			cfg.only = append(cfg.only, w)
		}
	}
	if cfg.parallel == 0 {
		cfg.parallel = 1
		if cfg.short {
			cfg.parallel = 4
		}
	}
	cfg.ci = os.Getenv("CI") != ""
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	os.Exit(campaign(ctx, &cfg))
}

// campaign builds tend, runs the chosen experiments and reports. It
// returns the exit status: 0 when every try passed, 1 when one failed,
// 2 when the campaign could not run.
func campaign(ctx context.Context, cfg *config) int {
	xs := chosen(cfg)
	if len(xs) == 0 {
		fmt.Fprintln(os.Stderr, "reliability: no experiment to run (the campaign needs Linux; -list names them)")
		return 2
	}
	began := time.Now()
	m := describeMachine(cfg)
	if err := prepare(ctx, cfg, &m); err != nil {
		fmt.Fprintf(os.Stderr, "reliability: %v\n", err)
		if cfg.tmp != "" {
			os.RemoveAll(cfg.tmp)
		}
		return 2
	}
	defer os.RemoveAll(cfg.tmp)
	fmt.Fprintf(os.Stderr, "reliability: tend %s built in %s; %d experiments, %d at once; load average %s\n",
		m.Commit, m.Build.Round(100*time.Millisecond), len(xs), cfg.parallel, m.LoadStart)
	results := runAll(ctx, cfg, xs)
	m.LoadEnd = loadAverage()
	m.Took = time.Since(began)
	report := render(cfg, m, results)
	fmt.Print(report)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(report), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "reliability: %v\n", err)
			return 2
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "reliability: interrupted")
		return 2
	}
	for _, r := range results {
		if r.Failures > 0 {
			return 1
		}
	}
	return 0
}

// chosen returns the experiments that -only selects.
func chosen(cfg *config) []*experiment {
	var out []*experiment
	for _, x := range experiments() {
		if len(cfg.only) == 0 {
			out = append(out, x)
			continue
		}
		for _, w := range cfg.only {
			if strings.Contains(x.Name, w) {
				out = append(out, x)
				break
			}
		}
	}
	return out
}
