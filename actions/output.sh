# Sourced by the composite actions' run steps: write a step output the safe way.
# gh_output NAME VALUE appends NAME<<DELIM, VALUE, DELIM to $GITHUB_OUTPUT with a random delimiter, so a
# value holding newlines (a path, a message) can never end the value early and inject other outputs.
# The same format as actions_toolkit.core.set_output, for steps that run before nix-attest is installed.
gh_output() {
  local name="$1" value="$2" delim
  delim="ghadelimiter_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  case "$name$value" in
    *"$delim"*) echo "::error::step output $name contains its delimiter" >&2; return 1 ;;
  esac
  printf '%s<<%s\n%s\n%s\n' "$name" "$delim" "$value" "$delim" >> "$GITHUB_OUTPUT"
}
