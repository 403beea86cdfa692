# Sourced by the tests of the CI examples (examples/ci/): what each file runs of estate.
#   ci_commands FILE   prints, in file order, every line whose first word is `estate`, with
#                      YAML's "- " taken off, and every command shown indented in a comment
#                      ("#   estate ..." or "//   estate ...": the baseline the files tell
#                      you to record once).
#   ci_outputs FILE    prints every out/gate/... path the file publishes or keeps.
ci_commands() {
  sed -nE 's@^[[:space:]]*(- |#[[:space:]]{2,}|//[[:space:]]{2,})?(estate( .*)?)$@\2@p' "$1" | sed -E 's/[[:space:]]+$//'
}
ci_outputs() {
  grep -oE "out/gate/[^ '\",]*" "$1" | sort -u
}
