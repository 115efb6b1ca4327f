# Shared by ./flotilla and bin/tuf-client (sourced, not run): finds a JDK >= 21 and builds the shaded CLI jar
# with ./mvnw when it is missing or older than the sources. Needs FLOTILLA_ROOT set to the repository root.
# Both steps are cheap when nothing is to be done: the JDK version is read from its `release` file (no JVM
# is started to ask it), and the freshness check is one `find`.

FLOTILLA_JAR="$FLOTILLA_ROOT/cli/target/flotilla.jar"

# The value of KEY ($2, e.g. JAVA_VERSION) in the `release` file of the JDK that holds the java binary $1,
# without quotes; empty when there is no such file or key. Pure bash, since forks are what a start-up pays for.
flotilla_jdk_release() {
  local bin="$1" key="$2" home line v=""
  if [ -L "$bin" ]; then bin="$(readlink -f "$bin")"; fi
  home="${bin%/bin/java}"
  if [ -f "$home/release" ]; then
    while IFS= read -r line; do
      case "$line" in
        "$key"=*) v="${line#"$key"=\"}"; v="${v%\"}"; break ;;
      esac
    done <"$home/release"
  fi
  echo "$v"
}

# The major version of the JDK that holds the java binary $1 (empty when unknown); asks the JVM only when the
# JDK has no `release` file.
flotilla_java_major() {
  local bin="$1" v
  v="$(flotilla_jdk_release "$bin" JAVA_VERSION)"
  v="${v%%.*}"
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

# The JDK build of the java binary $1, from its `release` file (JAVA_RUNTIME_VERSION, e.g. 25.0.3+9-LTS), or
# its major version when that file says nothing. Names the start-up archive, which only fits one JDK build.
flotilla_java_build() {
  local v
  v="$(flotilla_jdk_release "$1" JAVA_RUNTIME_VERSION)"
  v="${v//[^A-Za-z0-9.+_-]/_}"
  echo "${v:-$FLOTILLA_JAVA_MAJOR}"
}

# Sets FLOTILLA_ARCHIVE_OPTS (an array) to the JVM options that map the start-up archive of the CLI jar: an
# AOT cache (-XX:AOTCache) on a JDK >= 25, a static AppCDS archive (-XX:SharedArchiveFile) on JDK 21-24. The
# archive is made once per jar and JDK build, by a training run (dev.flotilla.cli.server.StartupTraining:
# two server starts in a temporary directory) that exits normally, so the JVM writes it at a quiet exit and
# never while a signal stops a server. It lives under cli/target/ (FLOTILLA_ARCHIVE overrides the file), and
# is made again when the jar is newer; a FLOTILLA_ARCHIVE ending in .jsa asks for AppCDS on any JDK. The JVM skips an archive that does not fit (other JDK, moved jar,
# damaged file) and runs without it; its messages about the archive are turned off. A failed training run is
# remembered (FILE.failed) until the jar changes, so it is not retried on every start. FLOTILLA_NO_ARCHIVE=1
# runs without any archive. $1 names the caller in messages.
flotilla_ensure_archive() {
  local who="$1" build archive kind tmp rc log stamp
  FLOTILLA_ARCHIVE_OPTS=()
  [ -z "${FLOTILLA_NO_ARCHIVE:-}" ] || return 0
  build="$(flotilla_java_build "$FLOTILLA_JAVA")"
  if [ "$FLOTILLA_JAVA_MAJOR" -ge 25 ]; then kind=aot; else kind=jsa; fi
  case "${FLOTILLA_ARCHIVE:-}" in *.jsa) kind=jsa ;; esac
  archive="${FLOTILLA_ARCHIVE:-$FLOTILLA_ROOT/cli/target/flotilla-$build.$kind}"
  if ! flotilla_archive_fresh "$archive"; then
    if [ -f "$archive.failed" ] && ! [ "$archive.failed" -ot "$FLOTILLA_JAR" ]; then return 0; fi
    # A checkout this user cannot write to (say, owned by root): run without an archive, say nothing.
    mkdir -p "$(dirname "$archive")" 2>/dev/null || return 0
    [ -w "$(dirname "$archive")" ] || return 0
    if command -v flock >/dev/null 2>&1; then
      exec 8>"$archive.lock"
      flock 8
    fi
    if ! flotilla_archive_fresh "$archive"; then
      echo "$who: preparing the start-up archive for this jar and JDK (once per jar and JDK; up to a minute) ..." >&2
      tmp="$archive.$$.tmp"
      log="$archive.log"
      rm -f "$archive" "$archive.failed"
      rc=0
      stamp="$(flotilla_jar_stamp)"
      if [ "$kind" = aot ]; then
        "$FLOTILLA_JAVA" -XX:AOTCacheOutput="$tmp" -cp "$FLOTILLA_JAR" dev.flotilla.cli.server.StartupTraining \
          </dev/null >"$log" 2>&1 || rc=$?
      else
        "$FLOTILLA_JAVA" -XX:ArchiveClassesAtExit="$tmp" -cp "$FLOTILLA_JAR" dev.flotilla.cli.server.StartupTraining \
          </dev/null >"$log" 2>&1 || rc=$?
      fi
      if [ "$rc" = 0 ] && [ -s "$tmp" ] && [ "$stamp" != "$(flotilla_jar_stamp)" ]; then
        # The jar was rebuilt while this run trained on it: the archive fits neither; the next start makes one.
        rm -f "$tmp" "$tmp.config" "$log"
      elif [ "$rc" = 0 ] && [ -s "$tmp" ]; then
        mv -f "$tmp" "$archive"; rm -f "$log"
      else
        rm -f "$tmp" "$tmp.config"; touch "$archive.failed"
        echo "$who: could not prepare the start-up archive (see $log); starting without it" >&2
      fi
    fi
    if command -v flock >/dev/null 2>&1; then
      exec 8>&-
    fi
  fi
  [ -f "$archive" ] || return 0
  if [ "$kind" = aot ]; then
    FLOTILLA_ARCHIVE_OPTS=(-XX:AOTCache="$archive" '-Xlog:aot*=off,cds*=off')
  else
    FLOTILLA_ARCHIVE_OPTS=(-XX:SharedArchiveFile="$archive" -Xshare:auto '-Xlog:cds*=off')
  fi
}

# The jar's modification time and size (to notice a rebuild during a training run).
flotilla_jar_stamp() {
  stat -c '%Y %s' "$FLOTILLA_JAR" 2>/dev/null || echo none
}

# Whether the archive $1 exists and is not older than the jar.
flotilla_archive_fresh() {
  [ -s "$1" ] && ! [ "$1" -ot "$FLOTILLA_JAR" ]
}
