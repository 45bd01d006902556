# Sourced by deploy/verify and deploy/swarm/up: is a release record signed
# by an allowed signer? (Bash; the caller has set -euo pipefail.)
#
#   release_signer RECORD SIGNATURE SIGNERS NAMESPACE
#   release_namespace        (prints the service's: SERVICE-release)
#
# RECORD is the caller's own copy of the record (it can't change while it
# is checked). SIGNATURE (ssh-keygen -Y sign, namespace NAMESPACE: the
# service's, from its deploy/image.toml or IMAGE_CONFIG, or SERVICE) and
# SIGNERS (an allowed signers file) are copied too, each only if it is
# a regular file of a bounded size (a FIFO would hang, /dev/zero never end).
# Prints the signer's principal and returns 0; else prints one line saying
# which check failed, and returns 1. Leaves no file behind.

release_namespace() {
    PYTHONPATH=luggage-tools/src python3 -m luggage_tools.image \
        "${IMAGE_CONFIG:-deploy/image.toml}" --service "${SERVICE:-}" \
        | sed -n 's/^namespace=//p'
}

release_signer() {
    local folder status=0
    folder=$(mktemp -d)
    _release_signer_in "$folder" "$@" || status=$?
    rm -rf "$folder"
    return "$status"
}

_release_signer_in() {
    local folder=$1 record=$2 signature=$3 signers=$4 namespace=$5 principal
    if ! _release_copy "$signature" 65536 "$folder/sig"; then
        echo "the record is not signed: $signature is missing or not a readable signature file (sign releases with RELEASE_KEY=... deploy/create)"
        return 1
    fi
    if ! _release_copy "$signers" 1048576 "$folder/signers" \
        || ! grep -q '^[^#[:space:]]' "$folder/signers"; then
        echo "RELEASE_SIGNERS: $signers allows no signer: add your release key's public key to it"
        return 1
    fi
    principal=$(ssh-keygen -Y find-principals -s "$folder/sig" -f "$folder/signers" 2>/dev/null | head -n 1) || principal=
    if [ -z "$principal" ]; then
        echo "$signature is by a key not allowed in $signers"
        return 1
    fi
    if ! ssh-keygen -Y check-novalidate -n "$namespace" -s "$folder/sig" \
        < "$record" >/dev/null 2>&1; then
        echo "the record does not match its signature $signature: altered since $principal signed it (or signed for another use than $namespace)"
        return 1
    fi
    if ! ssh-keygen -Y verify -f "$folder/signers" -I "$principal" -n "$namespace" \
        -s "$folder/sig" < "$record" >/dev/null 2>&1; then
        echo "$principal's line in $signers does not allow this signature: it must name namespaces=\"$namespace\" and be valid now"
        return 1
    fi
    printf '%s\n' "$principal"
}

_release_copy() {  # _release_copy FILE MOST_BYTES COPY
    [ -f "$1" ] && [ -r "$1" ] || return 1
    [ "$(stat -L -c %s -- "$1")" -le "$2" ] || return 1
    head -c "$2" -- "$1" > "$3"
}
