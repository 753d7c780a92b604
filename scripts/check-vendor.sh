#!/usr/bin/env bash
# Re-verifies the vendored front-end assets in console/static/vendor/
# against console/static/vendor/CHECKSUMS (written by
# scripts/vendor-assets.sh), and that no vendored file is missing from it.
# Offline: needs only sha256sum.
set -euo pipefail
cd "$(dirname "$0")/../console/static/vendor"

sha256sum --quiet --strict -c CHECKSUMS

# every vendored file must be listed
missing=0
while IFS= read -r f; do
	if ! cut -d' ' -f3- CHECKSUMS | grep -qxF "$f"; then
		echo "check-vendor.sh: $f is not in CHECKSUMS" >&2
		missing=1
	fi
done < <(find . -type f ! -name CHECKSUMS ! -name README.md | sed 's|^\./||')
[ "$missing" -eq 0 ]
echo "check-vendor.sh: $(wc -l <CHECKSUMS) vendored files OK"
