# bash completion for memmon(1); `make install` puts it where
# bash-completion loads it on demand (share/bash-completion/completions).
#
# The option lists are the commands' long options (their getopt tables in
# record/ and report/); tests/integration/t-install.sh fails when a
# command gains an option that is not listed here.

_memmon_opts_record='--output --buffer-size --pid --classifier --compress-level --chunk-kb --duration --malloc --malloc-ring --markers --stacks --no-stacks --no-names --debug-dir --quiet --verbose --help'
_memmon_opts_report='--input --pid --timestamps --raw-events --no-summary --quiet --help --log --regions --maps-at --check-maps --sort --json --csv --malloc-patterns --timeline --context --leaks --allocations --no-malloc --classifier --perfetto --html --between --sites --pages --symbols --no-demangle'
_memmon_opts_info='--input --help'
_memmon_opts_diff='--json --quiet --help'
_memmon_opts_list='--help'
_memmon_opts_reset='--all --help'
_memmon_opts_watch='--record --help'

_memmon()
{
	local cur prev cmd i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}

	# the command is the first word after memmon that is not an option
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	if [ -z "$cmd" ]; then
		COMPREPLY=($(compgen -W 'record report diff info list reset watch help --version --help' -- "$cur"))
		return
	fi

	case $cmd in
	help)
		COMPREPLY=($(compgen -W 'record report diff info list reset watch' -- "$cur"))
		return ;;
	record)
		# after "--" everything is the traced command's
		for ((i = 2; i < COMP_CWORD; i++)); do
			if [ "${COMP_WORDS[i]}" = -- ]; then
				COMPREPLY=($(compgen -c -- "$cur"))
				[ "$i" -lt $((COMP_CWORD - 1)) ] && COMPREPLY=($(compgen -f -- "$cur"))
				return
			fi
		done
		case $prev in
		-o|--output) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--debug-dir) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--classifier) COMPREPLY=($(compgen -W 'auto kprobe tracepoint' -- "$cur")); return ;;
		--markers) COMPREPLY=($(compgen -W 'all fsync trace_marker none' -- "$cur")); return ;;
		-p|--pid) COMPREPLY=($(compgen -W "$(cd /proc 2>/dev/null && echo [0-9]*)" -- "$cur")); return ;;
		-b|--buffer-size|-z|--compress-level|--chunk-kb|--duration|--malloc-ring) return ;;
		esac ;;
	report)
		case $prev in
		-i|--input|--perfetto|--html) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--classifier) COMPREPLY=($(compgen -W 'tracepoint' -- "$cur")); return ;;
		--maps-at) COMPREPLY=($(compgen -W 'end' -- "$cur")); return ;;
		--sort) COMPREPLY=($(compgen -W 'size faults addr' -- "$cur")); return ;;
		--symbols) COMPREPLY=($(compgen -W "on off" -- "$cur")); return ;;
		--pid|--between) return ;;
		esac ;;
	info)
		case $prev in
		-i|--input) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		esac ;;
	watch)
		case $prev in
		--record) COMPREPLY=($(compgen -W "$(cd /run/memmon 2>/dev/null && ls record-*.sock 2>/dev/null | sed 's/record-//; s/\.sock//')" -- "$cur")); return ;;
		esac
		[[ $cur == -* ]] || { COMPREPLY=($(compgen -W "list 0 $(cd /proc 2>/dev/null && echo [0-9]*)" -- "$cur")); return; } ;;
	esac

	local opts=_memmon_opts_$cmd
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "${!opts}" -- "$cur"))
	elif [ "$cmd" = report ] || [ "$cmd" = info ] || [ "$cmd" = diff ]; then
		# trace files first, any file when there are none
		COMPREPLY=($(compgen -f -X '!*.dat' -- "$cur") $(compgen -d -- "$cur"))
		[ ${#COMPREPLY[@]} -eq 0 ] && COMPREPLY=($(compgen -f -- "$cur"))
	fi
}
complete -o filenames -F _memmon memmon
