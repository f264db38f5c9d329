package resultcache

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// ExecutableIdentity names the running binary by content: its Go build ID
// (the linker's hash of every input, read from the ELF note in a few
// hundred bytes), or, where there is none, the SHA-256 of the file.
func ExecutableIdentity() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	if id, err := goBuildID(exe); err == nil && id != "" {
		return "go:" + id, nil
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// goBuildID reads the ".note.go.buildid" note the Go linker writes into
// ELF binaries: name "Go\x00\x00", type 4, the build ID as its payload.
func goBuildID(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := f.Section(".note.go.buildid")
	if s == nil {
		return "", fmt.Errorf("%s: no Go build ID note", path)
	}
	data, err := s.Data()
	if err != nil {
		return "", err
	}
	if len(data) < 16 {
		return "", fmt.Errorf("%s: short Go build ID note", path)
	}
	order := f.ByteOrder
	namesz, descsz, typ := order.Uint32(data), order.Uint32(data[4:]), order.Uint32(data[8:])
	if namesz != 4 || typ != 4 || !bytes.Equal(data[12:16], []byte("Go\x00\x00")) || uint64(len(data)-16) < uint64(descsz) {
		return "", fmt.Errorf("%s: not a Go build ID note", path)
	}
	return string(data[16 : 16+descsz]), nil
}
