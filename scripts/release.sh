#!/usr/bin/env bash
# Builds every release artifact into dist/ (or --out DIR), with SHA-256 sums:
#   rebound-VERSION-linux-ARCH.tar.gz  the NativeAOT `rebound` binary (no .NET needed), man page, completions, units
#   rebound_VERSION_ARCH.deb           /usr/bin/rebound, man page, bash/zsh completions, systemd units
#   *.nupkg / *.snupkg                 every packable project under src/ (the libraries and the `rebound` dotnet tool)
#   SHA256SUMS                         `sha256sum -c SHA256SUMS` checks them
# --arch arm64 cross-compiles linux-arm64 with Debian's gcc-aarch64-linux-gnu (through packaging/cross/, which drops the
# clang-only --target flag NativeAOT passes); check the result with qemu-user-static. x64 is the default.
# Needs the .NET SDK, gcc (NativeAOT links with it) and dpkg-deb. Does not touch bin/ or obj/ of the checkout: every
# build goes to its own artifacts folder, so it can run while tests build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

usage() { echo "usage: scripts/release.sh [--out DIR] [--arch x64|arm64]... [--no-nuget]" >&2; exit 2; }
out=dist arches=() nuget=1
while (($#)); do
  case $1 in
    --out) out=${2:?}; shift 2 ;;
    --arch) arches+=("${2:?}"); shift 2 ;;
    --no-nuget) nuget=0; shift ;;
    -h|--help) usage ;;
    *) usage ;;
  esac
done
((${#arches[@]})) || arches=(x64)
for a in "${arches[@]}"; do [[ $a == x64 || $a == arm64 ]] || usage; done

# The repository's public address, when there is one: REBOUND_REPOSITORY_URL, else an https "origin" remote.
if [[ -z ${REBOUND_REPOSITORY_URL:-} ]]; then
  origin=$(git remote get-url origin 2>/dev/null || true)
  [[ $origin == https://* ]] && export REBOUND_REPOSITORY_URL=${origin%.git}
fi
[[ -n ${REBOUND_REPOSITORY_URL:-} ]] || echo "release: no REBOUND_REPOSITORY_URL and no https origin: packages carry no project URL" >&2

version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
[[ -n $version ]] || { echo "release: no <Version> in Directory.Build.props" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/rebound* "$out"/*.nupkg "$out"/*.snupkg "$out"/SHA256SUMS
work=$(mktemp -d "${TMPDIR:-/tmp}/rebound-release.XXXXXX")
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# --- NativeAOT binaries -------------------------------------------------------------------------------------------
publish() {  # publish ARCH -> $work/ARCH/rebound
  local arch=$1 extra=()
  if [[ $arch == arm64 ]]; then
    extra=(-p:CppCompilerAndLinker="$root/packaging/cross/aarch64-linux-gnu-gcc" -p:ObjCopyName=aarch64-linux-gnu-objcopy)
  fi
  echo "release: NativeAOT linux-$arch (a few minutes)…" >&2
  dotnet publish src/Rebound.Cli/Rebound.Cli.csproj -c Release -r "linux-$arch" -p:PublishAot=true -warnaserror \
    --artifacts-path "$work/artifacts-$arch" -o "$work/$arch/publish" "${extra[@]}" --nologo -v quiet -clp:"ErrorsOnly;NoSummary"
  mkdir -p "$work/$arch/bin"
  # Only the binary ships: the publish folder also holds the .dbg symbols, pdbs and XML docs.
  install -m 755 "$work/$arch/publish/Rebound.Cli" "$work/$arch/bin/rebound"
}

# --- files shared by the tarball and the .deb --------------------------------------------------------------------
stage_extras() {  # stage_extras DIR: man page, completions, units, example, licence under a usr/ tree
  local d=$1
  install -d "$d/usr/share/man/man1" "$d/usr/share/bash-completion/completions" "$d/usr/share/zsh/vendor-completions" \
    "$d/lib/systemd/system" "$d/usr/share/doc/rebound/examples"
  sed "s/@VERSION@/$version/" packaging/man/rebound.1 | gzip -9n > "$d/usr/share/man/man1/rebound.1.gz"
  install -m 644 packaging/completions/rebound.bash "$d/usr/share/bash-completion/completions/rebound"
  install -m 644 packaging/completions/_rebound "$d/usr/share/zsh/vendor-completions/_rebound"
  install -m 644 packaging/systemd/*.service "$d/lib/systemd/system/"
  install -m 644 packaging/examples/*.json "$d/usr/share/doc/rebound/examples/"
  install -m 644 LICENSE "$d/usr/share/doc/rebound/copyright"
  install -m 644 packaging/nuget/README.md "$d/usr/share/doc/rebound/README.md"
}

deb_depends() {  # deb_depends BINARY: the libraries it links, as Debian packages, libc6 with the newest GLIBC_ symbol it uses
  local bin=$1 glibc libs=() pkgs=()
  glibc=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
  mapfile -t libs < <(objdump -p "$bin" | awk '/NEEDED/ {print $2}')
  local dep="libc6 (>= $glibc)"
  for lib in "${libs[@]}"; do
    case $lib in libc.so.*|libm.so.*|libdl.so.*|libpthread.so.*|librt.so.*|ld-linux*) continue ;; esac
    local p
    p=$(dpkg -S "*/$lib" 2>/dev/null | head -1 | cut -d: -f1 || true)
    [[ -n $p ]] && pkgs+=("$p")
  done
  for p in $(printf '%s\n' "${pkgs[@]}" | sort -u); do dep+=", $p"; done
  echo "$dep"
}

deb_libc_depends() {  # deb_libc_depends BINARY: for a cross-built binary, libc6 with the newest GLIBC_ symbol it uses
  local glibc
  glibc=$(aarch64-linux-gnu-objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1)
  if [[ -n $glibc ]]; then echo "libc6 (>= $glibc)"; else echo "libc6"; fi
}

build_deb() {  # build_deb ARCH
  local arch=$1 debarch d
  debarch=$([[ $arch == x64 ]] && echo amd64 || echo arm64)
  d=$work/$arch/deb
  install -d "$d/DEBIAN" "$d/usr/bin" "$d/etc/rebound"
  install -m 755 "$work/$arch/bin/rebound" "$d/usr/bin/rebound"
  stage_extras "$d"
  install -m 755 packaging/deb/postinst packaging/deb/postrm "$d/DEBIAN/"
  local depends
  if [[ $arch == x64 ]]; then depends=$(deb_depends "$d/usr/bin/rebound"); else depends=$(deb_libc_depends "$d/usr/bin/rebound"); fi
  sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$debarch/" -e "s/@DEPENDS@/$depends/" \
      -e "s/@SIZE@/$(du -sk --exclude=DEBIAN "$d" | cut -f1)/" packaging/deb/control.in > "$d/DEBIAN/control"
  (cd "$d" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum > DEBIAN/md5sums)
  dpkg-deb --root-owner-group -Zxz --build "$d" "$out/rebound_${version}_${debarch}.deb" >/dev/null
}

build_tarball() {  # build_tarball ARCH
  local arch=$1 name="rebound-$version-linux-$arch" t
  t=$work/$arch/tar/$name
  install -d "$t"
  install -m 755 "$work/$arch/bin/rebound" "$t/rebound"
  stage_extras "$t/share"
  install -m 644 LICENSE "$t/LICENSE"
  tar -C "$work/$arch/tar" --owner=0 --group=0 --numeric-owner --sort=name -czf "$out/$name.tar.gz" "$name"
}

for arch in "${arches[@]}"; do
  if [[ $arch == arm64 ]]; then
    # Optional: without a working cross toolchain the release is x64 only, and says so.
    if ! publish arm64; then echo "release: linux-arm64 NativeAOT failed; skipping arm64" >&2; continue; fi
  else
    publish "$arch"
  fi
  build_tarball "$arch"
  build_deb "$arch"
done

# --- NuGet: every packable project under src/ (libraries and the dotnet tool) -----------------------------------
if ((nuget)); then
  echo "release: NuGet packages…" >&2
  mapfile -t projects < <(find src -name '*.csproj' | sort | xargs grep -L '<IsPackable>false</IsPackable>')
  for p in "${projects[@]}"; do
    dotnet pack "$p" -c Release -o "$out" --artifacts-path "$work/artifacts-pack" -p:ContinuousIntegrationBuild=true \
      --nologo -v quiet -clp:"ErrorsOnly;NoSummary"
  done
fi

(cd "$out" && sha256sum -- rebound* *.nupkg *.snupkg 2>/dev/null > SHA256SUMS) || true
(cd "$out" && ls -l --time-style=+ -- * | awk '{print $5, $NF}' >&2)
