package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
)

func helpCommand() *command {
	return &command{
		name:    "help",
		usage:   "[COMMAND]",
		summary: "show help for tend or a command",
		run: func(args []string) int {
			if len(args) == 0 {
				printUsage(os.Stdout)
				return exitOK
			}
			c := findCommand(args[0])
			if c == nil {
				return usageError("help: unknown command %q", args[0])
			}
			fmt.Printf("Usage: tend %s %s\n\n%s\n", c.name, c.usage, c.summary)
			if c.help != "" {
				fmt.Printf("\n%s\n", c.help)
			}
			return exitOK
		},
	}
}

func versionCommand() *command {
	return &command{
		name:    "version",
		usage:   "",
		summary: "print tend's version",
		run: func(args []string) int {
			v := version
			if info, ok := debug.ReadBuildInfo(); ok && v == "dev" && info.Main.Version != "" && info.Main.Version != "(devel)" {
				v = info.Main.Version
			}
			fmt.Printf("tend %s (%s, %s/%s)\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return exitOK
		},
	}
}
