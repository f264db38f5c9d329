package drill

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// sealedPrefix starts a Secret value the drill has replaced by its
// digest. A value read from the API server is base64, which has no ':',
// so a sealed value is never taken for a real one: sealing twice changes
// nothing.
const sealedPrefix = "hmac-sha256:"

// lastApplied is kubectl's client-side apply record, which holds a
// Secret's data in clear.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// sealer replaces Secret values by keyed digests. Verification only needs
// to know whether each value came back equal, so the snapshot written to
// disk holds the digest of each data key, never the value. The key is
// random per run and kept in the state file (mode 0600, like the
// snapshot): a resumed run must digest the restored copy the same way,
// and a plain SHA-256 would let anyone holding the snapshot look a short
// password up in a table, or tell that two drills' Secrets are equal.
type sealer struct{ key []byte }

// newSealer returns a sealer with a fresh key (crypto/rand.Read never
// fails: it crashes the program rather than return weak bytes).
func newSealer() sealer {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return sealer{key: b}
}

// encoded is the key as the state file keeps it.
func (s sealer) encoded() string { return base64.StdEncoding.EncodeToString(s.key) }

func sealerOf(key string) (sealer, error) {
	b, err := base64.StdEncoding.DecodeString(key)
	if err != nil || len(b) < 16 {
		return sealer{}, fmt.Errorf("secret digest key in the drill state is not base64 of 16 bytes or more")
	}
	return sealer{key: b}, nil
}

func (s sealer) digest(v string) string {
	if strings.HasPrefix(v, sealedPrefix) {
		return v
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(v))
	return sealedPrefix + hex.EncodeToString(m.Sum(nil))
}

// seal replaces, in place, every value of a core Secret's data and
// stringData by its digest, and the last-applied-configuration annotation
// (a copy of the Secret as applied) too. Other objects are left as they
// are.
func (s sealer) seal(u *unstructured.Unstructured) {
	if u.GetKind() != "Secret" || u.GetAPIVersion() != "v1" {
		return
	}
	for _, field := range []string{"data", "stringData"} {
		m, ok := u.Object[field].(map[string]any)
		if !ok {
			continue
		}
		for k, v := range m {
			str, ok := v.(string)
			if !ok {
				str = fmt.Sprint(v)
			}
			m[k] = s.digest(str)
		}
	}
	if a := u.GetAnnotations(); a != nil {
		if v, ok := a[lastApplied]; ok {
			a[lastApplied] = s.digest(v)
			u.SetAnnotations(a)
		}
	}
}

// sealAll seals each object of a list in place.
func (s sealer) sealAll(objs []*unstructured.Unstructured) {
	for _, u := range objs {
		s.seal(u)
	}
}
