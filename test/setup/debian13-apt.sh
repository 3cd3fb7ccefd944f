# Sourced by test/setup scripts: downloads Debian 13 (trixie) packages from Debian's own
# repository with apt's ordinary client, through a private apt state (its own sources list, lists,
# status and cache): the host's apt lists and sources are not touched, nothing is installed.
# Usage: debian13_download DIR PACKAGE... (the .deb files land in DIR)
debian13_download() {
  local dest=$1 state
  shift
  state=$(mktemp -d)
  mkdir -p "$state"/{lists/partial,archives/partial,parts,prefs}
  echo 'deb http://deb.debian.org/debian trixie main' >"$state/sources.list"
  touch "$state/status"
  cat >"$state/apt.conf" <<CONF
Dir::Etc::SourceList "$state/sources.list";
Dir::Etc::SourceParts "$state/parts";
Dir::Etc::Preferences "$state/prefs/none";
Dir::Etc::PreferencesParts "$state/prefs";
Dir::State "$state";
Dir::State::Lists "$state/lists";
Dir::State::status "$state/status";
Dir::Cache "$state";
Dir::Cache::Archives "$state/archives";
APT::Architecture "amd64";
APT::Sandbox::User "root";
CONF
  APT_CONFIG=$state/apt.conf apt-get update -qq >/dev/null &&
    (cd "$dest" && APT_CONFIG=$state/apt.conf apt-get download -q "$@" >/dev/null)
  local status=$?
  rm -rf "$state"
  return $status
}
