package local

import "syscall"

const oDirect = syscall.O_DIRECT
