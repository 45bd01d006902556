# Sourced by deploy/base-image and deploy/audit: the Debian mirrors this
# machine's apt uses, unless MIRROR (the archive) and SECURITY_MIRROR (the
# security archive) say otherwise. Sets mirror and security (either may be
# empty when none is found).
# shellcheck shell=bash

debian_source() {  # debian_source PATTERN: the first apt source URI matching it
    { cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null || true; } \
        | awk -v path="$1" '/^URIs:/ && $2 ~ path { print $2; exit }
                            /^deb / && $2 ~ path { print $2; exit }'
}
# shellcheck disable=SC2034  # used by the scripts that source this
mirror=${MIRROR:-$(debian_source '/debian/?$')}
# shellcheck disable=SC2034
security=${SECURITY_MIRROR:-$(debian_source '/debian-security/?$')}
