package devenv

import "syscall"

// childProcAttr makes the kernel end the Temporal dev server when the process
// that started it dies without calling Stop (a test killed by its timeout).
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
