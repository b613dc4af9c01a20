#!/bin/sh
# check-sanitizer.sh DIR — fail (exit 1) if ASan/UBSan/LSan wrote any report in DIR.
dir=$1
[ -d "$dir" ] || exit 0
reports=$(find "$dir" -type f -size +0 2>/dev/null)
[ -z "$reports" ] && exit 0
echo "sanitizer reports found:"
for f in $reports; do echo "---- $f"; head -60 "$f"; done
exit 1
