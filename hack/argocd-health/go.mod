// The Argo CD health-check runner Charter's tests run (built by scripts/go-tools-build.sh into ~/.cache/charter/tools/).
module charter.local/hack/argocd-health

go 1.24.0

require (
	github.com/yuin/gopher-lua v1.1.1
	sigs.k8s.io/yaml v1.6.0
)

require go.yaml.in/yaml/v2 v2.4.2 // indirect
