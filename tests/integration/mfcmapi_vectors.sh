#!/bin/bash
# cpuu decode against an independent oracle: Microsoft MFCMAPI's SmartView
# test vectors and its own parse of each (shared/vectors/mfcmapi, README
# there). Every field MFCMAPI prints that cpuu decodes must agree; every
# vector cpuu does not interpret or refuses is printed with the reason
# (tests/support/mfcmapi_agree.py holds the list). The byte-exact rebuild of
# the same vectors from MFCMAPI's fields is tests/unit/test_autocomplete_mfcmapi.c.
set -u
skip() { echo "SKIP: $*"; exit 77; }
[ -n "${CPUU:-}" ] && [ -x "$CPUU" ] || skip "CPUU (the cpuu CLI) is not built"
command -v python3 >/dev/null || skip "python3 missing"
vec=${CPUU_SHARED_DIR:?}/vectors/mfcmapi
[ -d "$vec/in" ] && [ -d "$vec/out" ] || { echo "FAIL: $vec: no MFCMAPI vectors"; exit 1; }
python3 "${CPUU_SOURCE_DIR:?}/tests/support/mfcmapi_agree.py" "$CPUU" "$vec"
