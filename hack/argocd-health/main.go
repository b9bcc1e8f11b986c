// Command argocd-health runs Argo CD resource-customization health checks (a `health.lua` per kind) the way Argo CD
// runs a check configured in argocd-cm: on gopher-lua, the interpreter Argo CD embeds, with only the base, table and
// package libraries open (argocd-cm checks run without the standard libraries unless
// `resource.customizations.useOpenLibs.<group>_<kind>` is set), the object as the global `obj`, a time limit of one
// second, and the table the script returns read as {status, message}.
//
//	argocd-health test DIR      runs every <group>/<kind>/health_test.yaml under DIR (Argo CD's test-case format:
//	                            tests: [{inputPath, healthStatus: {status, message}}]) and compares status and message
//	argocd-health eval DIR      reads one object (JSON or YAML) on stdin, runs DIR/<group>/<kind>/health.lua on it and
//	                            prints {"status":..,"message":..}
//
// Written for Charter (argocd/resource_customizations/); it shares no code with Argo CD.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

// The health statuses Argo CD accepts from a script; anything else becomes Unknown there.
var validStatuses = map[string]bool{"Healthy": true, "Progressing": true, "Degraded": true, "Suspended": true, "Missing": true, "Unknown": true}

type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

type testFile struct {
	Tests []struct {
		HealthStatus healthStatus `json:"healthStatus"`
		InputPath    string       `json:"inputPath"`
	} `json:"tests"`
}

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "test" && os.Args[1] != "eval") {
		fmt.Fprintln(os.Stderr, "usage: argocd-health test DIR | argocd-health eval DIR < object")
		os.Exit(2)
	}
	var err error
	if os.Args[1] == "test" {
		err = runTests(os.Args[2])
	} else {
		err = evalStdin(os.Args[2])
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "argocd-health: %v\n", err)
		os.Exit(1)
	}
}

func evalStdin(dir string) error {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return err
	}
	obj, err := parseObject(data)
	if err != nil {
		return fmt.Errorf("stdin: %w", err)
	}
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	group := apiVersion
	if i := strings.Index(apiVersion, "/"); i >= 0 {
		group = apiVersion[:i]
	}
	script, err := os.ReadFile(filepath.Join(dir, group, kind, "health.lua"))
	if err != nil {
		return fmt.Errorf("no health check for %s/%s: %w", group, kind, err)
	}
	result, err := runHealth(string(script), obj)
	if err != nil {
		return err
	}
	line, _ := json.Marshal(result)
	fmt.Println(string(line))
	return nil
}

func runTests(dir string) error {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "health_test.yaml" {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no health_test.yaml under %s", dir)
	}
	sort.Strings(files)
	passed, failed := 0, 0
	for _, file := range files {
		checkDir := filepath.Dir(file)
		rel, _ := filepath.Rel(dir, checkDir)
		script, err := os.ReadFile(filepath.Join(checkDir, "health.lua"))
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		raw, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		var tests testFile
		if err := yaml.UnmarshalStrict(raw, &tests); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if len(tests.Tests) == 0 {
			return fmt.Errorf("%s: no tests", file)
		}
		for _, test := range tests.Tests {
			name := fmt.Sprintf("%s %s", rel, test.InputPath)
			data, err := os.ReadFile(filepath.Join(checkDir, test.InputPath))
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			obj, err := parseObject(data)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			got, err := runHealth(string(script), obj)
			switch {
			case err != nil:
				failed++
				fmt.Printf("FAIL %s: %v\n", name, err)
			case got != test.HealthStatus:
				failed++
				fmt.Printf("FAIL %s:\n  expected %s %q\n  got      %s %q\n", name, test.HealthStatus.Status, test.HealthStatus.Message, got.Status, got.Message)
			default:
				passed++
				fmt.Printf("ok   %s: %s\n", name, got.Status)
			}
		}
	}
	fmt.Printf("health checks: %d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return errors.New("some health checks did not return what their tests expect")
	}
	return nil
}

// parseObject reads a YAML or JSON object; numbers become float64, as a YAML test object does in Argo CD's tests
// (in the controller they are int64: both become Lua numbers).
func parseObject(data []byte) (map[string]any, error) {
	var obj map[string]any
	if err := yaml.Unmarshal(data, &obj); err != nil {
		return nil, err
	}
	if obj == nil {
		return nil, errors.New("not an object")
	}
	return obj, nil
}

// runHealth runs a health script on obj with the libraries an argocd-cm check has, and reads its result table.
func runHealth(script string, obj map[string]any) (healthStatus, error) {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.LoadLibName, lua.OpenPackage}, {lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}} {
		if err := L.CallByParam(lua.P{Fn: L.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return healthStatus{}, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, obj))
	if err := L.DoString(script); err != nil {
		return healthStatus{}, err
	}
	table, ok := L.Get(-1).(*lua.LTable)
	if !ok {
		return healthStatus{}, fmt.Errorf("the script returned a %s, not a table", L.Get(-1).Type())
	}
	var result healthStatus
	for field, target := range map[string]*string{"status": &result.Status, "message": &result.Message} {
		switch v := table.RawGetString(field).(type) {
		case lua.LString:
			*target = string(v)
		case *lua.LNilType:
		default:
			return healthStatus{}, fmt.Errorf("the script returned a %s as %s, not a string", v.Type(), field)
		}
	}
	if !validStatuses[result.Status] {
		return healthStatus{}, fmt.Errorf("the script returned status %q, which Argo CD does not know (it would show Unknown)", result.Status)
	}
	return result, nil
}

func toLua(L *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case int64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := L.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(toLua(L, item))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetString(key, toLua(L, item))
		}
		return t
	}
	return lua.LNil
}
