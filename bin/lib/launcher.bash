# Shared by ./flotilla and bin/tuf-client (sourced, not run): finds a JDK >= 21 and builds the shaded CLI jar
# with ./mvnw when it is missing or older than the sources. Needs FLOTILLA_ROOT set to the repository root.
# Both steps are cheap when nothing is to be done: the JDK version is read from its `release` file (no JVM
# is started to ask it), and the freshness check is one `find`.

FLOTILLA_JAR="$FLOTILLA_ROOT/cli/target/flotilla.jar"

# The major version of the JDK that holds the java binary $1 (empty when unknown). Pure bash when the JDK has
# a `release` file, since forks are what a start-up pays for here.
flotilla_java_major() {
  local bin="$1" home line v=""
  if [ -L "$bin" ]; then bin="$(readlink -f "$bin")"; fi
  home="${bin%/bin/java}"
  if [ -f "$home/release" ]; then
    while IFS= read -r line; do
      case "$line" in
        JAVA_VERSION=*) v="${line#JAVA_VERSION=\"}"; v="${v%%[.\"]*}"; break ;;
      esac
    done <"$home/release"
  fi
  if [ -z "$v" ]; then
    v="$("$bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -1)"
    v="${v%%.*}"
  fi
  echo "$v"
}

# Sets FLOTILLA_JAVA (a java binary of a JDK >= 21) and FLOTILLA_JAVA_MAJOR: JAVA_HOME's, then the one on
# PATH, then any under /usr/lib/jvm. Returns 1 when there is none.
flotilla_find_java() {
  local c v
  for c in "${JAVA_HOME:-}/bin/java" "$(command -v java 2>/dev/null || true)" /usr/lib/jvm/*/bin/java; do
    [ -n "$c" ] && [ "$c" != "/bin/java" ] && [ -x "$c" ] || continue
    v="$(flotilla_java_major "$c")"
    if [ -n "$v" ] && [ "$v" -ge 21 ] 2>/dev/null; then
      FLOTILLA_JAVA="$c"; FLOTILLA_JAVA_MAJOR="$v"; return 0
    fi
  done
  return 1
}

flotilla_needs_build() {
  [ -f "$FLOTILLA_JAR" ] || return 0
  [ -n "$(find "$FLOTILLA_ROOT/pom.xml" "$FLOTILLA_ROOT"/*/pom.xml "$FLOTILLA_ROOT"/*/src/main \
      -newer "$FLOTILLA_JAR" -type f -print -quit 2>/dev/null)" ]
}

# Builds the CLI jar when needed (one build at a time: concurrent launchers wait for it). $1 names the caller
# in messages; $2 is the java binary whose JDK ./mvnw runs on. With FLOTILLA_NO_BUILD set (e.g. inside a
# Maven build) an existing jar is used as it is.
flotilla_ensure_jar() {
  local who="$1" java_bin="$2" log lock
  if [ -n "${FLOTILLA_NO_BUILD:-}" ]; then
    [ -f "$FLOTILLA_JAR" ] || { echo "$who: $FLOTILLA_JAR is missing (run ./mvnw package)" >&2; exit 1; }
    return 0
  fi
  flotilla_needs_build || return 0
  export JAVA_HOME; JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$java_bin")")")"
  mkdir -p "$FLOTILLA_ROOT/cli/target"
  lock="$FLOTILLA_ROOT/cli/target/.build.lock"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$lock"
    flock 9
  fi
  if flotilla_needs_build; then
    echo "$who: building the CLI (./mvnw package -DskipTests) ..." >&2
    log="$(mktemp)"
    if ! (cd "$FLOTILLA_ROOT" && ./mvnw -q -DskipTests package >"$log" 2>&1); then
      grep -v '^WARNING: ' "$log" >&2; rm -f "$log"; echo "$who: build failed" >&2; exit 1
    fi
    rm -f "$log"
    # shade may leave an unchanged jar untouched: mark it fresh so the next start does not build again
    touch "$FLOTILLA_JAR"
  fi
  if command -v flock >/dev/null 2>&1; then
    exec 9>&-
  fi
}
