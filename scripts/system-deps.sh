#!/bin/sh
# Debian packages the service and its tests use: a CJK TrueType font for licence PDFs,
# poppler-utils to read PDFs back in tests, zbar-tools to read their QR codes, wrk for the benchmark, chromium to render the
# statistics page in a test.
missing=""
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing="$missing fonts-wqy-microhei"
command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
command -v zbarimg >/dev/null 2>&1 || missing="$missing zbar-tools"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing:$missing"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "please install these Debian packages:$missing (or set APPROVAL_LICENCE_FONT_PATH to a CJK TrueType font)"
fi
