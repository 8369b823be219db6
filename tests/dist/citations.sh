#!/bin/sh
# Every citation in the tree points at something a user has:
#  - no file of the tree (git ls-files, new files included; CHANGELOG.md,
#    which is history, and this script excepted) names SPEC.md, a file that was never in the
#    repository: the rules are proxyproto(7), tools/man/proxyproto.7;
#  - every "proxyproto(7) section N" (or "sections N-M", "sections N and
#    M"), in whatever file and however a comment wraps it, names a numbered
#    section of tools/man/proxyproto.7 (`.SH "N. TITLE"`).
# Run by `make test-citations`:
#   sh tests/dist/citations.sh BUILD_DIR
set -u
cd "$(dirname "$0")/../.."
. tests/dist/common.sh

mkdir -p "$1/dist"
log=$1/dist/citations.log
page=tools/man/proxyproto.7


if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard >"$log.files"
else # an unpacked tarball: every file but the build trees
    find . \( -name .git -o -name 'build*' \) -prune -o -type f -print |
        sed 's|^\./||' | sort >"$log.files"
fi
[ -s "$log.files" ] || not_ok "no files found to check"

# No SPEC.md.
spec_md() {
    status=0
    while IFS= read -r f; do
        case " CHANGELOG.md tests/dist/citations.sh " in *" $f "*) continue ;; esac
        [ -f "$f" ] || continue
        grep -nI -- 'SPEC\.md' "$f" >"$log.hits" 2>/dev/null || continue
        sed "s|^|$f:|" "$log.hits"
        status=1
    done <"$log.files"
    [ "$status" -eq 0 ] || echo "(cite proxyproto(7) instead: 'proxyproto(7) section N')"
    return $status
}
expect "no file cites SPEC.md (it is not in the tree; proxyproto(7) is)" spec_md

# The numbered sections of proxyproto(7).
sections=$(sed -n 's/^\.SH "\([0-9][0-9]*\)\. .*/\1/p' "$page" | tr '\n' ' ')
sections=${sections% }
if [ -z "$sections" ]; then
    not_ok "$page has no numbered sections (.SH \"N. TITLE\")"
    summary citations
    exit 1
fi

# Every citation of a section: FILE N per line. Lines are joined first (a
# comment may wrap "proxyproto(7)" and "section N"), their comment leaders
# (*, #, //, .\") dropped; "N-M" stands for N to M.
cited() {
    while IFS= read -r f; do
        [ -f "$f" ] || continue
        grep -qI 'proxyproto(7)' "$f" 2>/dev/null || continue
        awk -v file="$f" '
            {
                sub(/^[ \t]*(\*+|#+|\/\/+|\.\\")?[ \t]*/, "")
                text = text " " $0
            }
            END {
                re = "proxyproto\\(7\\),? sections? [0-9]+((-| and |, )[0-9]+)*"
                while (match(text, re)) {
                    c = substr(text, RSTART, RLENGTH)
                    text = substr(text, RSTART + RLENGTH)
                    sub(/^proxyproto\(7\),? sections? /, "", c)
                    gsub(/ and |, /, " ", c)
                    n = split(c, part, " ")
                    for (i = 1; i <= n; i++) {
                        if (split(part[i], r, "-") == 2)
                            for (k = r[1] + 0; k <= r[2] + 0; k++)
                                print file, k
                        else
                            print file, part[i] + 0
                    }
                }
            }' "$f"
    done <"$log.files"
}
cited >"$log.cited"
count=$(wc -l <"$log.cited" | tr -d ' ')
bad=$(awk -v have=" $sections " 'index(have, " " $2 " ") == 0' "$log.cited")
if [ "$count" -eq 0 ]; then
    not_ok "no \"proxyproto(7) section N\" citation found (the parser of this test is broken?)"
elif [ -n "$bad" ]; then
    not_ok "citations of sections $page does not have (it has: $sections):"
    echo "$bad" | sort -u | sed 's/^/    /'
else
    ok "all $count \"proxyproto(7) section N\" citations name a section of $page ($sections)"
fi

summary citations
