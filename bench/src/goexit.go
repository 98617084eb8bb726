//go:build ignore

// goexit does nothing: bench/run times its posix_spawn+wait to show what the Go runtime's
// start-up and exit cost on this machine (each of tend's three start stages pays it once).
package main

func main() {}
