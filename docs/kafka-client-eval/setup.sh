#!/usr/bin/env bash
# Lays out the Kafka client evaluation of docs/kafka-client.md in a scratch directory outside the
# repo ($EVAL_DIR, default /tmp/kafka-eval), so the repo's package.json and node_modules stay as they are:
#   $EVAL/platformatic   npm package with @platformatic/kafka 1.35.0
#   $EVAL/confluent      npm package with @confluentinc/kafka-javascript 1.10.1, built from source
#                        against Debian's libraries (only with WITH_CONFLUENT=1: needs root for apt-get)
#   $EVAL/harness        this folder's files, plus links to the repo's src/ and test/ and its node_modules
#   $EVAL/home           KHAOS_HOME of the evaluation's brokers
# The repo's own node_modules (npm ci) must be there: vitest, tsx, kafkajs come from it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
EVAL=${EVAL_DIR:-/tmp/kafka-eval}
mkdir -p "$EVAL"/platformatic "$EVAL"/confluent "$EVAL"/home "$EVAL"/harness/adapters/kafka "$EVAL"/harness/node_modules/@platformatic "$EVAL"/harness/node_modules/@confluentinc

cd "$EVAL/platformatic"
[ -f package.json ] || npm init -y >/dev/null
# 2.x requires Node >= 22 (it calls Promise.withResolvers); 1.35.0 is the newest for Node 20.
npm install --no-audit --no-fund @platformatic/kafka@1.35.0

if [ "${WITH_CONFLUENT:-0}" = 1 ]; then
  cd "$EVAL/confluent"
  [ -f package.json ] || npm init -y >/dev/null
  # The registry package alone does not install here (see docs/kafka-client.md): its install
  # script downloads a prebuilt binary, then zlib/OpenSSL/zstd/curl sources, from outside the
  # registries. Linking dynamically against Debian's libraries builds it from source.
  apt-get install -y -qq --no-upgrade libcurl4-openssl-dev libzstd-dev libssl-dev zlib1g-dev
  CKJS_LINKING=dynamic npm install --no-audit --no-fund --foreground-scripts @confluentinc/kafka-javascript@1.10.1 > install-dynamic.log 2>&1 || { tail -40 install-dynamic.log; exit 1; }
  ln -sfn "$EVAL/confluent/node_modules/@confluentinc/kafka-javascript" "$EVAL/harness/node_modules/@confluentinc/kafka-javascript"
fi

cd "$EVAL/harness"
echo '{"name":"kafka-client-eval","type":"module","private":true}' > package.json
cp "$here"/eval.test.ts "$here"/aborted-transactions.ts "$here"/platformatic-eval.ts "$here"/confluent-eval.ts "$here"/bench.ts "$here"/vitest.config.ts .
cp "$here"/platformatic-message-bus.ts "$here"/confluent-message-bus.ts adapters/kafka/
for f in retry.ts kafkajs-message-bus.ts java-committed-reader.ts; do ln -sfn "$repo/src/adapters/kafka/$f" "adapters/kafka/$f"; done
ln -sfn "$repo/src/core" core
ln -sfn "$repo/src/ports" ports
ln -sfn "$repo" repo
ln -sfn "$repo/node_modules/vitest" node_modules/vitest
ln -sfn "$repo/node_modules/kafkajs" node_modules/kafkajs
ln -sfn "$EVAL/platformatic/node_modules/@platformatic/kafka" node_modules/@platformatic/kafka
echo "evaluation laid out in $EVAL"
