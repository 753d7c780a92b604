#!/usr/bin/env bash
# Vendors the staff console's third-party front-end assets into
# console/static/vendor/ so that the console (which embeds console/static/
# with go:embed) never loads anything from a CDN and needs neither the
# internet nor Node at run time.
#
# Today that is ECharts: it fetches the npm package at the version pinned
# below with `npm pack`, checks the tarball against the registry's
# dist.shasum and dist.integrity, and copies dist/echarts.min.js and the
# package's licence files (LICENSE, NOTICE, licenses/*) into
# console/static/vendor/echarts/. It then rewrites
# console/static/vendor/CHECKSUMS (sha256sum format) and
# console/static/vendor/README.md.
#
# Run it by hand (needs npm and the npm registry) only when a pinned version
# changes, and commit what it writes. `make dev` and `make test` never run
# it; scripts/check-vendor.sh re-verifies the committed files offline.
set -euo pipefail

ECHARTS_VERSION="6.1.0"

cd "$(dirname "$0")/.."
VENDOR_DIR="console/static/vendor"
DEST="$VENDOR_DIR/echarts"

for tool in npm tar sha1sum sha256sum openssl base64; do
	command -v "$tool" >/dev/null || { echo "vendor-assets.sh: $tool is missing" >&2; exit 1; }
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

pkg="echarts@$ECHARTS_VERSION"
want_shasum="$(npm view "$pkg" dist.shasum)"
want_integrity="$(npm view "$pkg" dist.integrity)"
license="$(npm view "$pkg" license)"
if [ -z "$want_shasum" ] || [ -z "$want_integrity" ]; then
	echo "vendor-assets.sh: npm view $pkg gave no dist.shasum/dist.integrity" >&2
	exit 1
fi

(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
tarball="$tmp/echarts-$ECHARTS_VERSION.tgz"
[ -f "$tarball" ] || { echo "vendor-assets.sh: npm pack did not write $tarball" >&2; exit 1; }

got_shasum="$(sha1sum "$tarball" | cut -d' ' -f1)"
if [ "$got_shasum" != "$want_shasum" ]; then
	echo "vendor-assets.sh: $tarball sha1 $got_shasum, registry says $want_shasum" >&2
	exit 1
fi
got_integrity="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
if [ "$got_integrity" != "$want_integrity" ]; then
	echo "vendor-assets.sh: $tarball integrity $got_integrity, registry says $want_integrity" >&2
	exit 1
fi

mkdir -p "$tmp/x"
tar -xzf "$tarball" -C "$tmp/x"
src="$tmp/x/package"
[ -f "$src/dist/echarts.min.js" ] || { echo "vendor-assets.sh: no dist/echarts.min.js in $pkg" >&2; exit 1; }

rm -rf "$DEST"
mkdir -p "$DEST"
cp "$src/dist/echarts.min.js" "$DEST/"
licfiles=()
for f in "$src"/LICENSE* "$src"/LICENCE* "$src"/NOTICE* "$src"/COPYING*; do
	[ -f "$f" ] || continue
	cp "$f" "$DEST/"
	licfiles+=("$(basename "$f")")
done
# sub-component licences the LICENSE refers to (e.g. licenses/LICENSE-d3)
if [ -d "$src/licenses" ]; then
	mkdir -p "$DEST/licenses"
	for f in "$src"/licenses/*; do
		[ -f "$f" ] || continue
		cp "$f" "$DEST/licenses/"
		licfiles+=("licenses/$(basename "$f")")
	done
fi
if [ "${#licfiles[@]}" -eq 0 ]; then
	echo "vendor-assets.sh: $pkg has no LICENSE/NOTICE file" >&2
	exit 1
fi

(cd "$VENDOR_DIR" && find . -type f ! -name CHECKSUMS ! -name README.md | sed 's|^\./||' | LC_ALL=C sort | xargs sha256sum) >"$VENDOR_DIR/CHECKSUMS"

{
	echo "# Vendored front-end assets"
	echo
	echo "Third-party files that the staff console embeds (console/static/ is"
	echo "embedded with go:embed), so that nothing loads from a CDN and neither"
	echo "\`make dev\` nor a browser needs the internet or Node. Do not edit them by"
	echo "hand: they are written by \`scripts/vendor-assets.sh\`."
	echo
	echo "## echarts/"
	echo
	echo "- package: \`echarts\` (npm), version \`$ECHARTS_VERSION\`"
	echo "- tarball: \`echarts-$ECHARTS_VERSION.tgz\`"
	echo "  - dist.integrity: \`$want_integrity\`"
	echo "  - dist.shasum: \`$want_shasum\`"
	echo "- licence: $license (see $(printf '`echarts/%s`, ' "${licfiles[@]}" | sed 's/, $//'))"
	echo "- files: \`echarts/echarts.min.js\` (the package's \`dist/echarts.min.js\`, the full build) and the package's licence files (the LICENSE names the bundled d3.js parts, BSD-3-Clause, in \`licenses/LICENSE-d3\`)"
	echo
	echo "## Checksums"
	echo
	echo "\`CHECKSUMS\` holds the sha256 of every vendored file. Check them with"
	echo "\`scripts/check-vendor.sh\` (offline)."
	echo
	echo "## Reproduce or update"
	echo
	echo "Change the pinned version at the top of \`scripts/vendor-assets.sh\`, then"
	echo
	echo '```sh'
	echo "scripts/vendor-assets.sh && scripts/check-vendor.sh"
	echo '```'
	echo
	echo "It needs npm and the npm registry; it verifies the tarball against"
	echo "\`npm view echarts@VERSION dist.shasum\` (and \`dist.integrity\`) before"
	echo "copying anything. Commit the result."
} >"$VENDOR_DIR/README.md"

echo "vendored $pkg into $DEST:"
cat "$VENDOR_DIR/CHECKSUMS"
