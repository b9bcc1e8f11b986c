// Command kstatus prints how sigs.k8s.io/cli-utils/pkg/kstatus — the library Flux's health checks and
// `kubectl`-style apply tools use — judges Kubernetes objects. It reads the JSON of one object or of a List
// (`kubectl get ... -o json`) on stdin and prints one JSON line per object:
//
//	{"kind":"User","namespace":"","name":"alice","generation":2,"observedGeneration":1,"status":"InProgress","message":"..."}
//
// It computes nothing itself: the status and message are status.Compute's. Charter's integration tests run it on
// objects read from a real API server (test/integration/health.test.ts).
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type verdict struct {
	Kind               string `json:"kind"`
	Namespace          string `json:"namespace"`
	Name               string `json:"name"`
	Generation         int64  `json:"generation"`
	ObservedGeneration *int64 `json:"observedGeneration"`
	Status             string `json:"status"`
	Message            string `json:"message"`
}

func main() {
	if len(os.Args) > 1 {
		fmt.Fprintln(os.Stderr, "usage: kstatus < object-or-list.json  (prints kstatus's verdict, one JSON line per object)")
		os.Exit(2)
	}
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	// The unstructured JSON scheme keeps integers as int64, as kstatus expects (encoding/json would make them float64).
	decoded, err := runtime.Decode(unstructured.UnstructuredJSONScheme, data)
	if err != nil {
		fail("stdin is not a Kubernetes object or List: %v", err)
	}
	var objects []unstructured.Unstructured
	switch o := decoded.(type) {
	case *unstructured.UnstructuredList:
		objects = o.Items
	case *unstructured.Unstructured:
		objects = []unstructured.Unstructured{*o}
	default:
		fail("unexpected object type %T", decoded)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for i := range objects {
		u := &objects[i]
		result, err := status.Compute(u)
		if err != nil {
			fail("%s %s: kstatus: %v", u.GetKind(), u.GetName(), err)
		}
		v := verdict{Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Generation: u.GetGeneration(), Status: result.Status.String(), Message: result.Message}
		if observed, found, err := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); err == nil && found {
			v.ObservedGeneration = &observed
		}
		line, _ := json.Marshal(v)
		fmt.Fprintln(out, string(line))
	}
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus: "+format+"\n", args...)
	os.Exit(1)
}
