#!/usr/bin/env bash
# Runs every Rebound test from a fresh clone. As root it first installs the Debian packages the tests use
# (network namespaces, real clients, captures); without root the tests that need them skip and say why.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(iproute2 netcat-openbsd iptables conntrack bind9-dnsutils dnsperf dnsmasq-base tcpdump gcc make procps docker.io busybox-static python3 socat binutils systemd tmux zsh groff-base ethtool)
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # kubectl parses the DaemonSet manifest offline; Debian's kubernetes-client provides it unless another package
  # (e.g. Google Cloud's kubectl) already put one on PATH, whose /usr/bin/kubectl it would clash with.
  command -v kubectl >/dev/null || missing+=(kubernetes-client)
  if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}"
    installed=0
    for attempt in 1 2; do
      if apt-get update -q >/dev/null &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
        installed=1
        break
      fi
      sleep 5
    done
    # Tests whose tools are missing skip with the reason, so a failed install shows up as skipped tests, not a crash.
    ((installed)) || echo "test.sh: WARNING: apt-get could not install ${missing[*]}; tests needing them will be skipped" >&2
  fi
else
  echo "test.sh: not root; tests that need network namespaces or extra packages will be skipped."
fi

results=artifacts/test-results
rm -rf "$results"
status=0
# A hung test is dumped and killed after 25 minutes. The release tests publish NativeAOT binaries and pack every
# library inside one test; on a busy 2-core machine that alone has taken over 10 minutes.
dotnet test Rebound.slnx -c Release --nologo \
  --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" \
  --blame-hang-timeout 25m || status=$?

# One plain summary line over all test assemblies, read from the TRX files.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed)
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done
echo "Tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [[ $status -eq 0 && $passed -eq 0 ]]; then
  echo "test.sh: no test ran" >&2
  exit 1
fi
exit $status
