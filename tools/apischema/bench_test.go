package apischema_test

import (
	"context"
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/flotilla-gitops/flotilla/tools/apischema"
)

// benchMix is ~1,000 rendered objects: the valid corpus (every kind
// flotilla renders) three times as often as the invalid one, each copy
// under its own name.
func benchMix(b *testing.B) []*unstructured.Unstructured {
	b.Helper()
	var objs []*unstructured.Unstructured
	valid, invalid := readCorpus(b, "valid"), readCorpus(b, "invalid")
	for i := 0; len(objs) < 1000; i++ {
		for _, c := range valid {
			objs = append(objs, renamed(b, c.body, i))
		}
		if i%3 == 0 {
			for _, c := range invalid {
				if c.wantType != apischema.TypeDuplicateField {
					objs = append(objs, renamed(b, c.body, i))
				}
			}
		}
	}
	return objs
}

func renamed(b *testing.B, body []byte, i int) *unstructured.Unstructured {
	u := decodeYAML(b, body)
	if name := u.GetName(); name != "" && len(name) < 40 {
		u.SetName(fmt.Sprintf("%s-%d", name, i))
	}
	return u
}

// BenchmarkValidate reports the cost of validating one object (ns/op is
// per object), serially.
func BenchmarkValidate(b *testing.B) {
	v := validator(b)
	objs := benchMix(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v.Validate(ctx, objs[i%len(objs)])
	}
}

// BenchmarkValidateParallel is the same mix on every core (ns/op is wall
// time per object with GOMAXPROCS goroutines).
func BenchmarkValidateParallel(b *testing.B) {
	v := validator(b)
	objs := benchMix(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			v.Validate(ctx, objs[i%len(objs)])
			i++
		}
	})
}

// BenchmarkNew is the one-time cost: parsing every CRD and preparing the
// per-version machinery.
func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := apischema.New(apischema.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
