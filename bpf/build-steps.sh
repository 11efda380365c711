# Shell functions shared by bpf/build.sh and fuzz/build.sh (sourced, not run). The sourcing script sets
# `root` (the repository) and `script` (its own name, for messages) first.

die() { echo "$script: $*" >&2; exit 1; }

# stale OUTPUT INPUT...: true when OUTPUT is missing or older than an input.
stale() {
	local target=$1 dep
	shift
	[[ -e $target ]] || return 0
	for dep in "$@"; do
		[[ $dep -nt $target ]] && return 0
	done
	return 1
}

# built OUTPUT: a step wrote OUTPUT.tmp; move it into place and say so.
built() { mv -f "$1.tmp" "$1" && echo "built ${1#"$root"/}"; }
