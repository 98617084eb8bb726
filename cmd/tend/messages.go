package main

import "strings"

// failedWhy says why a daemon failed for good, from its error and how it
// last ended (its last exit), which is said once: the error of a start
// limit hit says it already.
func failedWhy(err, last string) string {
	if strings.Contains(err, last) {
		return err
	}
	return err + "; last exit: " + last
}
