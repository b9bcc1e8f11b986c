#!/usr/bin/env node
// `kubectl charter ...`: kubectl runs an executable named kubectl-charter found on PATH as its `charter` sub-command,
// with kubectl's environment (KUBECONFIG) and the arguments after `charter`. It is the charter command itself;
// `--cluster` uses the kubeconfig's current context unless `--context` names another.
import './charter.js';
