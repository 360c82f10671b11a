#!/usr/bin/env bash
# install-code-server.sh -- offline-friendly install of code-server (npm) + Debian
# chromium for the extension's end-to-end test (playwright-core and @vscode/vsce are the
# extension's own devDependencies). Adapted from ../shared/tools/install-code-server.sh.
#
# Works with only the npm registry + Debian apt reachable (no github.com,
# no nodejs.org, no playwright CDN).  Idempotent: re-running is a fast no-op once
# everything is in place.  Exits non-zero on any failure.
#
# Env knobs:
#   CS_ROOT      base dir (default ~/.cache/code-server-e2e)
#   CS_VERSION   code-server version (default: newest 4.x whose engines.node
#                matches the running node major: 20 -> 4.100.3 [tested, bundles
#                VS Code 1.100.3], 22 -> 4.117.0, 24 -> 4.139.1 [untested])
#   CS_SKIP_APT=1  do not touch apt (fail if something is missing)
set -euo pipefail

CS_ROOT="${CS_ROOT:-$HOME/.cache/code-server-e2e}"
PREFIX="$CS_ROOT/cs"            # npm prefix holding node_modules/code-server
SEED_TMP="$CS_ROOT/tmp"         # TMPDIR used during install (ripgrep cache seed)
LOG="$CS_ROOT/install.log"

log() { printf '[install-code-server] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')" || die "node not found"
if [ -z "${CS_VERSION:-}" ]; then
  case "$NODE_MAJOR" in
    20) CS_VERSION=4.100.3 ;;   # last code-server with engines.node == 20 (VS Code 1.100.3)
    22) CS_VERSION=4.117.0 ;;   # last code-server with engines.node == 22 (UNTESTED here)
    24) CS_VERSION=4.139.1 ;;   # (UNTESTED here)
    *)  die "no known code-server version for node $NODE_MAJOR; set CS_VERSION" ;;
  esac
fi
log "node v$(node -v | tr -d v), code-server $CS_VERSION, root $CS_ROOT"
mkdir -p "$CS_ROOT" "$PREFIX" "$SEED_TMP"

# ---------------------------------------------------------------- 1. apt deps
APT_PKGS=(build-essential python3 pkg-config libkrb5-dev libx11-dev libxkbfile-dev
          libsecret-1-dev ripgrep chromium fonts-liberation)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  [ "${CS_SKIP_APT:-0}" = 1 ] && die "missing apt packages: ${missing[*]}"
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=()
  [ "$(id -u)" -eq 0 ] || SUDO=(sudo --preserve-env=DEBIAN_FRONTEND)
  "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 || {
    "${SUDO[@]}" apt-get update >>"$LOG" 2>&1 || die "apt-get update failed (see $LOG)"
    "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 \
      || die "apt-get install failed (see $LOG)"
  }
fi
[ -x /usr/bin/chromium ] || die "/usr/bin/chromium missing"
[ -x /usr/bin/rg ] || die "/usr/bin/rg missing"

# node-gyp must find node headers locally (otherwise it downloads from nodejs.org)
NODEDIR="${npm_config_nodedir:-/usr}"
[ -f "$NODEDIR/include/node/node_api.h" ] || die "node headers not found under $NODEDIR/include/node (install nodejs dev headers or set npm_config_nodedir)"

# -------------------------------------------------------- 2. code-server (npm)
CS_DIR="$PREFIX/node_modules/code-server"
CS_BIN="$PREFIX/node_modules/.bin/code-server"
MARKER="$CS_DIR/.offline-install-ok"

cs_ok() {
  [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$CS_VERSION" ] && [ -x "$CS_BIN" ] \
    && "$CS_BIN" --version >/dev/null 2>&1
}

if cs_ok; then
  log "code-server $CS_VERSION already installed in $PREFIX"
else
  log "fetching code-server@$CS_VERSION tarball (npm registry)"
  PACKDIR="$CS_ROOT/pack"; mkdir -p "$PACKDIR"
  TGZ="$PACKDIR/code-server-$CS_VERSION.tgz"
  if [ ! -s "$TGZ" ]; then
    (cd "$PACKDIR" && npm pack "code-server@$CS_VERSION" >>"$LOG" 2>&1) || die "npm pack code-server failed"
  fi

  # --- ripgrep: @vscode/ripgrep's postinstall downloads a prebuilt rg from
  # api.github.com.  Its download.js first looks for a cached asset at
  #   $TMPDIR/vscode-ripgrep-cache-<pkgver>/ripgrep-<tag>-<target>.tar.gz
  # and just untars it into node_modules/@vscode/ripgrep/bin/.  So seed that
  # cache with a tarball holding Debian's /usr/bin/rg.
  RG_PKG_VER="$(tar xzf "$TGZ" -O package/lib/vscode/npm-shrinkwrap.json \
      | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const j=JSON.parse(s);process.stdout.write(j.packages["node_modules/@vscode/ripgrep"].version)})')" \
      || die "cannot read @vscode/ripgrep version from shrinkwrap"
  RG_TGZ="$PACKDIR/vscode-ripgrep-$RG_PKG_VER.tgz"
  [ -s "$RG_TGZ" ] || (cd "$PACKDIR" && npm pack "@vscode/ripgrep@$RG_PKG_VER" >>"$LOG" 2>&1) \
      || die "npm pack @vscode/ripgrep failed"
  RG_TAG="$(tar xzf "$RG_TGZ" -O package/lib/postinstall.js | sed -n "s/^const VERSION = '\(.*\)';.*/\1/p")"
  [ -n "$RG_TAG" ] || die "cannot parse ripgrep release tag from @vscode/ripgrep postinstall.js"
  case "$(uname -m)" in
    x86_64)  RG_TARGET=x86_64-unknown-linux-musl ;;
    aarch64) RG_TARGET=aarch64-unknown-linux-musl ;;
    *) die "unsupported arch $(uname -m)" ;;
  esac
  RG_CACHE="$SEED_TMP/vscode-ripgrep-cache-$RG_PKG_VER"
  mkdir -p "$RG_CACHE"
  tar czf "$RG_CACHE/ripgrep-$RG_TAG-$RG_TARGET.tar.gz" -C /usr/bin rg
  log "seeded ripgrep cache: $RG_CACHE/ripgrep-$RG_TAG-$RG_TARGET.tar.gz"

  log "npm install code-server@$CS_VERSION (builds native modules; several minutes)"
  rm -rf "$CS_DIR"
  [ -f "$PREFIX/package.json" ] || echo '{"name":"cs-offline","private":true}' >"$PREFIX/package.json"
  # npm_config_unsafe_perm: postinstall.sh refuses to run as root without it.
  # npm_config_build_from_source: argon2 (node-pre-gyp) and kerberos
  #   (prebuild-install) skip their github.com prebuilt download and compile.
  # npm_config_yes: node-pty's post-install.js runs `npx node-gyp configure`;
  #   with yes=false (as in the user npmrc) npx refuses to fetch node-gyp.
  # TMPDIR: makes @vscode/ripgrep find the seeded cache.
  ( cd "$PREFIX" && \
    TMPDIR="$SEED_TMP" \
    npm_config_yes=true \
    npm_config_unsafe_perm=true \
    npm_config_build_from_source=true \
    npm_config_nodedir="$NODEDIR" \
    npm install --no-audit --no-fund --foreground-scripts "$TGZ" >>"$LOG" 2>&1 ) \
    || die "npm install code-server failed (see $LOG)"

  # sanity: rg present + native modules load
  RG_BIN="$CS_DIR/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
  [ -x "$RG_BIN" ] && "$RG_BIN" --version >/dev/null || die "bundled rg missing/broken at $RG_BIN"
  ( cd "$CS_DIR/lib/vscode" && node -e '
      const {createRequire}=require("module"); const r=createRequire(process.cwd()+"/x.js");
      for (const m of ["node-pty","@vscode/spdlog","native-watchdog","kerberos","@parcel/watcher","@vscode/deviceid"]) { r(m); }
      console.error("native modules OK");' ) >>"$LOG" 2>&1 || die "a native module does not load (see $LOG)"
  "$CS_BIN" --version >/dev/null 2>&1 || die "code-server --version fails"
  echo "$CS_VERSION" >"$MARKER"
  log "code-server installed: $("$CS_BIN" --version | head -1)"
fi

log "OK"
log "  code-server : $CS_BIN"
log "  chromium    : /usr/bin/chromium ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
