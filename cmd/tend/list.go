package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/tendhq/tend/internal/client"
	"github.com/tendhq/tend/internal/status"
)

func listCommand() *command {
	return &command{
		name:    "list",
		aliases: []string{"ls"},
		usage:   "[--json] [-p PROJECT]",
		summary: "one line per daemon: state, pid, uptime, restarts, last exit, CPU, memory",
		help: `List every daemon in aligned columns: name, state (colored on a terminal,
unless NO_COLOR is set), pid, uptime, restarts, last exit, CPU (over a tenth
of a second, 100% = one CPU), resident memory (RSS, all its processes),
proportional memory (PSS, its share of shared pages, where readable), and
its command; the project it was brought up from with tend up, if any.
A daemon of several instances (--instances) has a line under it for each,
" #N", with its state, pid, uptime, restarts and last exit.
--json prints an array of the objects of tend status --json.`,
		flags: func() *flagSet {
			var o listOpts
			return listFlags(&o)
		},
		run: runList,
	}
}

type listOpts struct {
	json    bool
	project string
}

func listFlags(o *listOpts) *flagSet {
	fs := newFlagSet("list")
	fs.boolean(&o.json, "json", 0, "print a JSON array")
	fs.str(&o.project, "project", 'p', "PROJECT", "only the daemons of PROJECT")
	return fs
}

func runList(args []string) int {
	var o listOpts
	p, code, done := parseArgs(listCommand(), listFlags(&o), args)
	if done {
		return code
	}
	if len(p.args) != 0 {
		return fail(usageErr("list", "list takes no names; for one daemon: tend status NAME"))
	}
	store, err := openStore()
	if err != nil {
		return fail(err)
	}
	names, err := store.List()
	if err != nil {
		return fail(err)
	}
	reportForeign(store)
	var views []*client.View
	for _, name := range names {
		dir, err := store.Dir(name)
		if err != nil {
			continue
		}
		v, err := client.Inspect(dir)
		if errors.Is(err, client.ErrUnknown) {
			continue // a folder without a record: a start that never got far
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "tend: %s: %s\n", name, userMessage(err))
			continue
		}
		views = append(views, v)
	}
	usages := measureUsage(views)
	var infos []*daemonInfo
	for i, v := range views {
		dir, _ := store.Dir(v.Name)
		info := describe(dir, v, usages[i])
		if o.project != "" && (info.def == nil || info.def.Project != o.project) {
			continue
		}
		infos = append(infos, info)
	}
	if o.json {
		out := []statusJSON{}
		for _, info := range infos {
			out = append(out, info.json())
		}
		printJSON(out)
		return exitOK
	}
	if len(infos) == 0 {
		fmt.Fprintln(os.Stderr, "no daemons (start one with: tend start NAME -- CMD, or tend up)")
		return exitOK
	}
	projects := false
	for _, info := range infos {
		projects = projects || info.def != nil && info.def.Project != ""
	}
	t := &table{colors: colors(os.Stdout)}
	head := []cell{{text: "NAME"}}
	if projects {
		head = append(head, cell{text: "PROJECT"})
	}
	head = append(head, cell{text: "STATE"}, cell{text: "PID"}, cell{text: "UPTIME"}, cell{text: "RESTARTS"},
		cell{text: "LAST EXIT"}, cell{text: "CPU"}, cell{text: "MEM"}, cell{text: "PSS"}, cell{text: "COMMAND"})
	for i := range head {
		head[i].color = ansiBold
	}
	t.add(head...)
	for _, info := range infos {
		v := info.view
		pid, up := "-", "-"
		if v.MainAlive && v.PID > 0 {
			pid = strconv.Itoa(v.PID)
			if !v.StartedAt.IsZero() {
				up = since(v.StartedAt)
			}
		}
		if v.Condition == client.Condition(status.Scheduled) && !v.NextRun.IsZero() {
			up = "next in " + until(v.NextRun) // a schedule between runs
		}
		row := []cell{{text: v.Name}}
		if projects {
			project := "-"
			if info.def != nil && info.def.Project != "" {
				project = info.def.Project
			}
			row = append(row, cell{text: project})
		}
		row = append(row,
			cell{text: string(v.Condition), color: stateColor(string(v.Condition), v.ExitCode())},
			cell{text: pid}, cell{text: up}, cell{text: strconv.Itoa(v.Restarts)},
			cell{text: v.LastExit.Short()},
			cell{text: info.usage.cpuText()}, cell{text: info.usage.memText()}, cell{text: info.usage.pssText()},
			cell{text: commandText(v.Command)})
		t.add(row...)
		if len(v.Instances) > 1 && v.SupervisorAlive {
			for _, in := range v.Instances {
				t.add(instanceRow(in, projects)...)
			}
		}
	}
	t.write(os.Stdout)
	return exitOK
}

// instanceRow is the line under a daemon of several instances that shows
// one of them: " #N", its state, pid, uptime, restarts and last exit.
func instanceRow(in status.Instance, projects bool) []cell {
	row := []cell{{text: " #" + strconv.Itoa(in.Index)}}
	if projects {
		row = append(row, cell{})
	}
	pid, up := "-", "-"
	if in.PID > 0 {
		pid = strconv.Itoa(in.PID)
		if !in.StartedAt.IsZero() {
			up = since(in.StartedAt)
		}
	}
	return append(row, cell{text: string(in.State), color: stateColor(string(in.State), 0)},
		cell{text: pid}, cell{text: up}, cell{text: strconv.Itoa(in.Restarts)}, cell{text: in.LastExit.Short()})
}
