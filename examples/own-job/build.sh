#!/usr/bin/env bash
# Builds the example job: target/fraud-scoring.jar (never committed). Needs Java 17 and Maven.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -ntp -q package "$@"
echo "built $(pwd)/target/fraud-scoring.jar"
