package renderfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// exchange swaps two existing paths in one system call
// (renameat2 RENAME_EXCHANGE, Linux 3.15+). It returns
// errExchangeUnsupported where the kernel or file system has no exchange.
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP):
		return errExchangeUnsupported
	}
	return &os.LinkError{Op: "exchange", Old: a, New: b, Err: err}
}
