package daemon

import "unsafe"

func uintptrOf(a *sigaction) uintptr { return uintptr(unsafe.Pointer(a)) }
