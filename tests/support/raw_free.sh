# raw_free FILE...: for a test of what cpuu shows (sourced, not run; the
# rules: include/cpuu/display.h). Returns nonzero, printing the names of
# the FILEs that hold one, when a file holds a raw C0 control but the line
# end (LF), DEL, a C1 control, or a bidi override/isolate or line separator
# (U+202A-U+202E, U+2066-U+2069, U+2028, U+2029) in UTF-8. Needs python3.
raw_free() { # file...
	python3 - "$@" <<'PY'
import re, sys
bad = re.compile(rb'[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]')
hit = [f for f in sys.argv[1:] if bad.search(open(f, 'rb').read())]
print(' '.join(hit))
sys.exit(1 if hit else 0)
PY
}
